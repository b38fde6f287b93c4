# The services.hwinv options NixOS and nix-darwin share; each platform's module adds its schedules.
self:
{ lib, pkgs, ... }:
let
  inherit (lib) mkEnableOption mkOption types;
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
    export = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Write hwinv.prom for node_exporter's textfile collector.";
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
}
