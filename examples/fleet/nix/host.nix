# What every discovered host's configuration gets from discovery alone: its platform and host name, as
# defaults. hosts/<host>/configuration.nix (written by `hwinv generate`) sets the same options along with
# the tuned ones, so a host is a complete configuration before and after generate has run.
host:
{ lib, ... }:
let
  # nix-darwin's networking.hostName pattern (letters, digits, '-'; dots between labels).
  darwinName = builtins.match "(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])" host.name != null;
  # NixOS wants the first label as networking.hostName and the rest as networking.domain.
  parts = builtins.match "([^.]*)(\\.(.*))?" host.name;
  label = builtins.head parts;
  domain = builtins.elemAt parts 2;
  nixosName = builtins.match "[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?" label != null;
in
if host.platform == "darwin" then
  {
    nixpkgs.hostPlatform = lib.mkDefault host.system;
  }
  // lib.optionalAttrs darwinName {
    networking.hostName = lib.mkDefault host.name;
    networking.localHostName = lib.mkDefault host.name;
  }
else
  {
    nixpkgs.hostPlatform = lib.mkDefault host.system;
  }
  // lib.optionalAttrs nixosName {
    networking.hostName = lib.mkDefault label;
    networking.domain = lib.mkDefault domain;
  }
