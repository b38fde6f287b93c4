{
  description = "hwinv: hardware facts in, Nix and NATS configuration out, for a fleet of macOS and Linux hosts";

  # The fleet flake (what `hwinv init` writes, with discovery and deploy-rs) is examples/fleet/flake.nix;
  # this one builds hwinv itself and offers its NixOS and nix-darwin modules.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      cargo = builtins.fromTOML (builtins.readFile ./Cargo.toml);
    in
    {
      packages = forAllSystems (pkgs: rec {
        hwinv = pkgs.rustPlatform.buildRustPackage {
          pname = "hwinv";
          inherit (cargo.package) version;
          src = lib.cleanSource ./.;
          cargoLock.lockFile = ./Cargo.lock;
          # The test suite starts sshd, nats-server, nix and more: run it with scripts/test.sh instead.
          doCheck = false;
          meta = {
            inherit (cargo.package) description;
            license = lib.licenses.mit;
            mainProgram = "hwinv";
          };
        };
        default = hwinv;
      });

      # `nix run .#hwinv -- extract`
      apps = forAllSystems (pkgs: rec {
        hwinv = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.hwinv}/bin/hwinv";
        };
        default = hwinv;
      });

      nixosModules = rec {
        hwinv = import ./nix/modules/nixos.nix self;
        default = hwinv;
      };
      darwinModules = rec {
        hwinv = import ./nix/modules/darwin.nix self;
        default = hwinv;
      };
    };
}
