# nix-darwin settings for mac-prod-01, tuned to its hardware by hwinv 0.1.0 from its latest snapshot (metadata.json names it).
# Do not edit: `hwinv generate` refuses to overwrite a changed file (metadata.json holds its hash).
# Put your own settings in hosts/mac-prod-01/local.nix, or change templates/configuration-darwin.nix.j2.
# Tiers (templates/tiers.toml): cpu medium (10 physical cores), memory medium (32 GB),
# storage large (1000 GB of internal disks).
{ lib, pkgs, ... }:
{
  # The recorded hardware facts, for your own modules: `{ hwinvFacts, ... }: ...`.
  _module.args.hwinvFacts = import ./hardware.nix;

  nixpkgs.hostPlatform = lib.mkDefault "aarch64-darwin";
  # darwin-rebuild --flake picks the configuration named after the LocalHostName.
  networking.hostName = "mac-prod-01";
  networking.localHostName = "mac-prod-01";
  # The nix-darwin state version this host started with; set it in local.nix if it is not this one.
  system.stateVersion = lib.mkDefault 5;

  # Nix builds: 2 at once, each on 5 cores (10 physical cores, 10 logical CPUs).
  nix.settings = {
    max-jobs = 2;
    cores = 5;
  };

  # NATS with JetStream, limited by tier (cpu medium, memory medium, storage large).
  # nix-darwin has no NATS module: launchd runs nats-server on hosts/mac-prod-01/nats-server.conf, read from
  # the Nix store, so a changed file changes the daemon and nix-darwin restarts it.
  launchd.daemons.nats-server.serviceConfig = {
    ProgramArguments = [
      "${pkgs.nats-server}/bin/nats-server"
      "-c"
      "${./nats-server.conf}"
    ];
    RunAtLoad = true;
    KeepAlive = true;
    StandardOutPath = "/var/log/nats-server.log";
    StandardErrorPath = "/var/log/nats-server.log";
  };
}
