# services.hwinv for NixOS: record this host's hardware on a schedule, keep its Prometheus textfile for
# node_exporter fresh, and optionally sample telemetry — the units of deploy/systemd/, declared.
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
  hardened = {
    NoNewPrivileges = true;
    PrivateTmp = true;
    ProtectHome = true;
    StateDirectory = "hwinv";
  };
in
{
  options.services.hwinv = {
    enable = mkEnableOption "hwinv, recording this host's hardware";
    package = mkOption {
      type = types.package;
      default = self.packages.${pkgs.stdenv.hostPlatform.system}.hwinv;
      description = "The hwinv package.";
    };
    root = mkOption {
      type = types.str;
      default = "/var/lib/hwinv";
      description = "Inventory root: inventory/, hosts/ and telemetry/ live here.";
    };
    extract.interval = mkOption {
      type = types.str;
      default = "daily";
      description = "When to extract again (systemd OnCalendar).";
    };
    export = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Write hwinv.prom for node_exporter's textfile collector.";
      };
      interval = mkOption {
        type = types.str;
        default = "30s";
        description = "How often to refresh it, services probed each time.";
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

    systemd.services.hwinv-extract = {
      description = "hwinv: record this host's hardware";
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      serviceConfig = hardened // {
        Type = "oneshot";
        ExecStart = "${hwinv} extract";
      };
    };
    systemd.timers.hwinv-extract = {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnBootSec = "1min";
        OnCalendar = cfg.extract.interval;
        Persistent = true;
      };
    };

    systemd.services.hwinv-export = mkIf cfg.export.enable {
      description = "hwinv: Prometheus textfile for node_exporter";
      after = [ "hwinv-extract.service" ];
      serviceConfig = hardened // {
        Type = "oneshot";
        ExecStart = "${hwinv} export prometheus --probe --out ${cfg.export.directory}/hwinv.prom";
        ExecStartPre = "${pkgs.coreutils}/bin/mkdir -p ${cfg.export.directory}";
        Nice = 10;
      };
    };
    systemd.timers.hwinv-export = mkIf cfg.export.enable {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnBootSec = "30s";
        OnUnitActiveSec = cfg.export.interval;
        AccuracySec = "1s";
      };
    };

    systemd.services.hwinv-sample = mkIf cfg.sample.enable {
      description = "hwinv: telemetry samples";
      wantedBy = [ "multi-user.target" ];
      serviceConfig = hardened // {
        ExecStart = "${hwinv} sample --every ${cfg.sample.interval}";
        Restart = "always";
        Nice = 10;
      };
    };
  };
}
