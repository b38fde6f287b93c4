{
  description = "Fleet configuration discovered from the hwinv inventory (inventory/<host>/hardware.nix)";

  # No flake.lock is shipped: run `nix flake lock` once (with network) to pin these, and commit the lock.
  inputs = {
    # Supported releases as of December 2026: NixOS 26.05, and for macOS the darwin branch of the same
    # release, which nix-darwin 26.05 is tested against.
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/nix-darwin-26.05";
      inputs.nixpkgs.follows = "nixpkgs-darwin";
    };
    deploy-rs = {
      url = "github:serokell/deploy-rs";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    inputs@{
      self,
      nixpkgs,
      nix-darwin,
      deploy-rs,
      ...
    }:
    let
      inherit (nixpkgs) lib;

      # Every host with inventory/<host>/hardware.nix, split by platform; deploy nodes from leaf-config.nix.
      fleet = import ./nix/discover.nix {
        root = ./.;
        leafConfig = if builtins.pathExists ./leaf-config.nix then import ./leaf-config.nix else null;
      };

      # Discovery defaults, then what `hwinv generate` wrote, then the user's own files, when present.
      hostModules =
        host:
        [ (import ./nix/host.nix host) ]
        ++ builtins.filter (m: m != null) [
          host.configuration
          host.hardwareConfiguration
          host.local
        ];
      specialArgs = host: {
        inherit inputs;
        hwinvHost = {
          inherit (host) name platform system;
        };
      };
      configurations =
        names: build:
        builtins.listToAttrs (
          map (name: {
            inherit name;
            value = build fleet.hosts.${name};
          }) names
        );

      # Systems a deploy can be started from.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems =
        f:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = f system;
          }) systems
        );

      nodes = builtins.mapAttrs (
        name: node:
        {
          hostname = node.address;
          user = "root";
          profiles.system.path =
            if node.platform == "darwin" then
              deploy-rs.lib.${node.system}.activate.darwin self.darwinConfigurations.${name}
            else
              deploy-rs.lib.${node.system}.activate.nixos self.nixosConfigurations.${name};
        }
        // lib.optionalAttrs (node.sshUser != null) { inherit (node) sshUser; }
        // lib.optionalAttrs (node.port != null) {
          sshOpts = [
            "-p"
            node.port
          ];
        }
      ) fleet.deployNodes;

      # `nix run .#deploy-host HOST [ADDRESS]`: deploy one node, optionally to another address.
      deployHost =
        system:
        nixpkgs.legacyPackages.${system}.writeShellScript "deploy-host" ''
          set -eu
          nodes="${builtins.concatStringsSep " " (builtins.attrNames fleet.deployNodes)}"
          if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
            echo "usage: nix run .#deploy-host -- HOST [ADDRESS]   (deploy nodes: $nodes)" >&2
            exit 64
          fi
          host=$1
          case " $nodes " in
            *" $host "*) ;;
            *)
              echo "deploy-host: '$host' is not a deploy node; add it to leaf-config.nix (deploy nodes: $nodes)" >&2
              exit 64
              ;;
          esac
          if [ "$#" -eq 2 ]; then
            case $2 in
              "" | -* | *[!A-Za-z0-9.:%_-]*)
                echo "deploy-host: '$2' is not a host name or IP address" >&2
                exit 64
                ;;
            esac
            exec ${deploy-rs.packages.${system}.default}/bin/deploy --hostname "$2" "${self}#$host"
          fi
          exec ${deploy-rs.packages.${system}.default}/bin/deploy "${self}#$host"
        '';
    in
    {
      darwinConfigurations = configurations fleet.darwin (
        host:
        nix-darwin.lib.darwinSystem {
          modules = hostModules host;
          specialArgs = specialArgs host;
        }
      );

      # Only hosts that run NixOS (or are listed in leaf-config.nix's `nixos`); the others are said by name.
      nixosConfigurations =
        let
          configs = configurations fleet.nixos (
            host:
            lib.nixosSystem {
              modules = hostModules host;
              specialArgs = specialArgs host;
            }
          );
        in
        if fleet.otherLinux == [ ] then
          configs
        else
          builtins.trace "hwinv: not NixOS, so no nixosConfiguration (hwinv generate wrote a systemd unit instead): ${builtins.concatStringsSep ", " fleet.otherLinux}" configs;

      deploy.nodes =
        let
          warnIf = cond: msg: v: if cond then builtins.trace "warning: ${msg}" v else v;
          list = builtins.concatStringsSep ", ";
        in
        warnIf (fleet.notInventoried != [ ])
          "leaf-config.nix lists hosts with no inventory/<host>/hardware.nix, left out of deploy.nodes: ${list fleet.notInventoried} (run hwinv extract)"
          (
            warnIf (fleet.notDeployable != [ ])
              "leaf-config.nix lists hosts that run neither NixOS nor macOS, left out of deploy.nodes: ${list fleet.notDeployable} (add them to `nixos = [ … ];` in leaf-config.nix if they are to run NixOS)"
              nodes
          );

      # deploy-rs's own checks of every node (schema, activation script), for `nix flake check`.
      checks = builtins.mapAttrs (_system: deployLib: deployLib.deployChecks self.deploy) deploy-rs.lib;

      apps = forAllSystems (system: {
        deploy-host = {
          type = "app";
          program = "${deployHost system}";
        };
      });
    };
}
