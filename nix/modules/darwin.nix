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
  inherit (lib) mkIf mkOption types;
  hwinv = "${cfg.package}/bin/hwinv --root ${cfg.root}";
  log = name: "${cfg.root}/log/${name}.log";
in
{
  imports = [ (import ./common.nix self) ];

  options.services.hwinv = {
    extract.interval = mkOption {
      type = types.int;
      default = 86400;
      description = "Seconds between extractions.";
    };
    export.interval = mkOption {
      type = types.int;
      default = 30;
      description = "Seconds between refreshes of hwinv.prom.";
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
