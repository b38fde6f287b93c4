# NixOS settings for gpu-box-01, tuned to its hardware by hwinv 0.1.0 from its latest snapshot (metadata.json names it).
# Do not edit: `hwinv generate` refuses to overwrite a changed file (metadata.json holds its hash).
# Put your own settings in hosts/gpu-box-01/local.nix, or change templates/configuration-nixos.nix.j2.
# Tiers (templates/tiers.toml): cpu medium (8 physical cores), memory small (15 GB),
# storage small (no internal disk recorded).
{ lib, ... }:
{
  # The recorded hardware facts, for your own modules: `{ hwinvFacts, ... }: ...`.
  _module.args.hwinvFacts = import ./hardware.nix;

  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
  networking.hostName = "gpu-box-01";
  # The release this host was installed with; set it in local.nix if it is not this one.
  system.stateVersion = lib.mkDefault "25.05";

  # Nix builds: 2 at once, each on 8 cores (8 physical cores, 16 logical CPUs).
  nix.settings = {
    max-jobs = 2;
    cores = 8;
  };

  # NATS with JetStream, limited by tier; the same limits as hosts/gpu-box-01/nats-server.conf.
  services.nats = {
    enable = true;
    serverName = "gpu-box-01";
    jetstream = true;
    settings = {
      max_connections = 5000; # cpu tier medium
      max_pending = 67108864; # 64MB
      jetstream = {
        max_memory_store = 4294967296; # 4GB, memory tier small
        max_file_store = 107374182400; # 100GB, storage tier small
      };
    };
  };
}
