# Your fleet, for deploy-rs and `hwinv extract --fleet leaf-config.nix` (read by flake.nix through
# nix/discover.nix). Every entry names a host by its inventory name: inventory/<hostname>/.
#
#   primary      the main host:        primary = { hostname = "mac-studio-1"; ip = "10.1.1.10"; };
#   secondaries  the others:           secondaries = [ { hostname = "gpu-box"; ip = "10.1.1.20"; sshUser = "nixos"; port = 2222; } ];
#   sshUser      the account deploy-rs logs in as, for every host or per host (default: your ssh config)
#   nixos        hosts that are to run NixOS whatever they run now: nixos = [ "gpu-box" ];
#                (hosts whose os-release says NixOS need not be listed)
#
# Only NixOS and macOS hosts get a configuration and a deploy node; `hwinv generate` gives the others
# nats-server.conf and a systemd unit.
{
  primary = null;
  secondaries = [ ];
  nixos = [ ];
}
