# nix-darwin settings for mac-prod-01, tuned to its hardware by hwinv 0.1.0 from its latest snapshot (metadata.json names it).
# Do not edit: `hwinv generate` refuses to overwrite a changed file (metadata.json holds its hash).
# Put your own settings in hosts/mac-prod-01/local.nix, or change templates/configuration-darwin.nix.j2.
# Tiers (templates/tiers.toml): cpu medium (10 physical cores), memory medium (32 GB),
# storage large (1000 GB of internal disks).
{ config, lib, pkgs, ... }:
{
  # The recorded hardware facts, for your own modules: `{ hwinvFacts, ... }: ...`.
  _module.args.hwinvFacts = import ./hardware.nix;

  nixpkgs.hostPlatform = lib.mkDefault "aarch64-darwin";
  # darwin-rebuild --flake picks the configuration named after the LocalHostName.
  networking.hostName = "mac-prod-01";
  networking.localHostName = "mac-prod-01";
  # The nix-darwin state version this host started with; set it in local.nix if it is not this one.
  system.stateVersion = lib.mkDefault 5;

  # Nix builds: 2 at once, each on 5 cores (10 physical cores, 10 logical CPUs,
  # memory 32 GB: at most one build per 2 GB). With nix-darwin managing Nix they go into
  # nix.settings; with another installer's Nix (Determinate: nix.enable = false, where nix-darwin silently
  # ignores nix.settings) into /etc/nix/nix.custom.conf, which that Nix includes.
  nix.settings = lib.mkIf config.nix.enable {
    max-jobs = 2;
    cores = 5;
  };
  environment.etc."nix/nix.custom.conf" = lib.mkIf (!config.nix.enable) {
    text = ''
      max-jobs = 2
      cores = 5
    '';
  };

  # NATS with JetStream, limited by tier (cpu medium, memory medium, storage large).
  # nix-darwin has no NATS module: launchd runs nats-server on hosts/mac-prod-01/nats-server.conf, read from
  # the Nix store, so a changed file changes the daemon and nix-darwin restarts it. `command` makes launchd
  # wait for /nix/store (nix-darwin wraps it in /bin/wait4path), and the daemon runs as its own user.
  users.knownUsers = [ "_nats" ];
  users.knownGroups = [ "_nats" ];
  users.groups._nats.gid = 422;
  users.users._nats = {
    uid = 422;
    gid = 422;
    home = "/var/lib/nats";
    createHome = true;
    isHidden = true;
    description = "NATS server";
  };
  launchd.daemons.nats-server = {
    command = "${pkgs.nats-server}/bin/nats-server -c ${./nats-server.conf}";
    serviceConfig = {
      UserName = "_nats";
      GroupName = "_nats";
      RunAtLoad = true;
      KeepAlive = true;
      WorkingDirectory = "/var/lib/nats";
      StandardOutPath = "/var/lib/nats/nats-server.log";
      StandardErrorPath = "/var/lib/nats/nats-server.log";
    };
  };
}
