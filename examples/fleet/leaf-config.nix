# The fleet for deploy-rs (read by flake.nix through nix/discover.nix; `hwinv extract --fleet` reads it too).
#
#   primary      the main host
#   secondaries  the other hosts
#   hostname     the host's inventory name: inventory/<hostname>/ and the flake's configuration name
#   ip           the address deploy-rs connects to (default: the hostname itself)
#   sshUser      the account deploy-rs logs in as, for every host or per host (default: your ssh config)
#   port         the SSH port of a host (default: your ssh config, else 22)
#   nixos        hosts that run NixOS, or are about to, whatever their snapshot says (hosts whose
#                os-release ID is nixos need not be listed). Only NixOS and macOS hosts get a
#                configuration and a deploy node; the others get nats-server.conf and a systemd unit.
#
# A host listed here but not inventoried yet (no inventory/<hostname>/hardware.nix) is left out of
# deploy.nodes with a warning. Deploy one host with `nix run .#deploy-host -- mac-prod-01 [ADDRESS]`.
{
  sshUser = "admin";

  primary = {
    hostname = "mac-prod-01";
    ip = "10.1.1.10";
  };

  secondaries = [
    {
      hostname = "gpu-box-01";
      ip = "10.1.1.20";
      sshUser = "nixos";
    }
  ];
}
