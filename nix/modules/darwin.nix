# services.hwinv for nix-darwin: the launchd equivalents of the NixOS module (deploy/launchd/, declared).
self:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.hwinv;
  inherit (lib) mkEnableOption mkIf mkOption types;
  hwinv = "${cfg.package}/bin/hwinv --root ${cfg.root}";
  log = name: "${cfg.root}/log/${name}.log";
in
{
  options.services.hwinv = {
    enable = mkEnableOption "hwinv, recording this Mac's hardware";
    package = mkOption {
      type = types.package;
      default = self.packages.${pkgs.stdenv.hostPlatform.system}.hwinv;
      description = "The hwinv package.";
    };
    root = mkOption {
      type = types.str;
      default = "/var/lib/hwinv";
      description = "Inventory root.";
    };
    extract.interval = mkOption {
      type = types.int;
      default = 86400;
      description = "Seconds between extractions.";
    };
    export = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Write hwinv.prom for node_exporter's textfile collector.";
      };
      interval = mkOption {
        type = types.int;
        default = 30;
        description = "Seconds between refreshes.";
      };
      directory = mkOption {
        type = types.str;
        default = "/var/lib/hwinv/textfile";
        description = "Where hwinv.prom goes: point node_exporter's --collector.textfile.directory here.";
      };
    };
    sample = {
      enable = mkEnableOption "telemetry sampling into Parquet under the root's telemetry/";
      interval = mkOption {
        type = types.str;
        default = "10s";
        description = "Sampling interval.";
      };
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    # `command` (not ProgramArguments): nix-darwin waits for /nix/store before starting it.
    launchd.daemons.hwinv-extract = {
      command = "/bin/mkdir -p ${cfg.root}/log && exec ${hwinv} extract";
      serviceConfig = {
        RunAtLoad = true;
        StartInterval = cfg.extract.interval;
        StandardErrorPath = log "extract";
      };
    };
    launchd.daemons.hwinv-export = mkIf cfg.export.enable {
      command = "/bin/mkdir -p ${cfg.export.directory} && exec ${hwinv} export prometheus --probe --out ${cfg.export.directory}/hwinv.prom";
      serviceConfig = {
        RunAtLoad = true;
        StartInterval = cfg.export.interval;
        ProcessType = "Background";
        StandardErrorPath = log "export";
      };
    };
    launchd.daemons.hwinv-sample = mkIf cfg.sample.enable {
      command = "${hwinv} sample --every ${cfg.sample.interval}";
      serviceConfig = {
        RunAtLoad = true;
        KeepAlive = true;
        ProcessType = "Background";
        StandardErrorPath = log "sample";
      };
    };
  };
}
