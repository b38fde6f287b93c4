# Host discovery for the fleet flake, kept pure (builtins only, no nixpkgs) so it can be evaluated and
# tested on its own:
#
#   nix-instantiate --eval --strict --json -E 'import ./nix/discover.nix { root = ./.; }'
#
# A host is every directory inventory/<host>/ that holds a hardware.nix (written by `hwinv extract`).
# Its platform ("darwin" or "linux") and Nix system come from that file. A Linux host becomes a NixOS
# configuration only when it runs NixOS (os id "nixos") or leaf-config.nix lists it in `nixos = [ … ];`
# (a machine about to be installed); other distributions get plain service files from `hwinv generate`. Deploy nodes come from
# leaf-config.nix: the primary and the secondaries, each with a hostname (the inventory name) and
# optionally an ip and an sshUser.
#
# Host names are only ever used as attribute names and string values, never spliced into Nix code, and a
# directory whose name hwinv itself would refuse (see src/hostname.rs) is ignored, so a hostile name
# cannot change what is evaluated.
{
  # The repository root holding inventory/ and hosts/ (a path).
  root,
  # The fleet description (the value of leaf-config.nix), or null when there is none.
  leafConfig ? null,
}:
let
  inherit (builtins)
    attrNames
    concatMap
    filter
    hasAttr
    isAttrs
    isList
    isString
    listToAttrs
    match
    pathExists
    readDir
    stringLength
    ;

  # The same rule as hwinv's host-name check: labels of letters, digits, '_' and '-' (not leading),
  # at most 63 bytes each, separated by dots; 253 bytes in all.
  validName =
    name:
    stringLength name <= 253
    && match "[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*" name != null;

  inventoryDir = root + "/inventory";
  entries = if pathExists inventoryDir then readDir inventoryDir else { };

  # Directories (or links to them: readDir reports "symlink") named like a host, holding a hardware.nix.
  isDir = name: entries.${name} == "directory" || entries.${name} == "symlink";
  isHostDir =
    name: isDir name && validName name && pathExists (inventoryDir + "/${name}/hardware.nix");

  names = filter isHostDir (attrNames entries);

  platformOf =
    facts:
    let
      p = facts.system.platform or null;
    in
    if p == "darwin" || p == "linux" then p else null;

  hostInfo =
    name:
    let
      hardware = inventoryDir + "/${name}/hardware.nix";
      facts = import hardware;
      hostsDir = root + "/hosts/${name}";
      optional =
        file:
        let
          p = hostsDir + "/${file}";
        in
        if pathExists p then p else null;
    in
    {
      inherit name facts hardware;
      # "darwin", "linux", or null when hardware.nix names no platform hwinv knows.
      platform = platformOf facts;
      # The Nix system double, e.g. "aarch64-darwin".
      system = facts.system.nixSystem or null;
      # The os-release ID ("nixos", "ubuntu"), or null.
      osId = facts.system.os.id or null;
      # hosts/<host>/configuration.nix, written by `hwinv generate` (null until it has run).
      configuration = optional "configuration.nix";
      # hosts/<host>/hardware-configuration.nix, from nixos-generate-config (NixOS file systems, boot).
      hardwareConfiguration = optional "hardware-configuration.nix";
      # hosts/<host>/local.nix: the user's own settings for the host; hwinv never writes it.
      local = optional "local.nix";
    };

  toSet = list: listToAttrs (map (h: { name = h.name; value = h; }) list);
  all = map hostInfo names;
  hosts = toSet (filter (h: h.platform != null && isString h.system) all);

  # leaf-config.nix: { sshUser ? null; primary ? null; secondaries ? [ ]; }
  leaf = if leafConfig == null then { } else leafConfig;
  checkedLeaf =
    if !isAttrs leaf then
      throw "leaf-config.nix must be an attribute set with primary, secondaries and sshUser"
    else
      leaf;
  defaultSshUser = checkedLeaf.sshUser or null;
  # Hosts that are to run NixOS whatever they run now.
  nixosListed =
    let
      l = checkedLeaf.nixos or [ ];
    in
    if isList l && builtins.all isString l then
      l
    else
      throw "leaf-config.nix: nixos must be a list of host names";
  runsNixos = h: h.platform == "linux" && (h.osId == "nixos" || builtins.elem h.name nixosListed);
  entry =
    role: e:
    if !(isAttrs e) || !(isString (e.hostname or null)) then
      throw "leaf-config.nix: every ${role} needs a hostname string (the inventory name of the host)"
    else if !(validName e.hostname) then
      throw "leaf-config.nix: ${role} hostname ${builtins.toJSON e.hostname} is not a valid host name"
    else
      let
        # `port` (or `sshPort`): an SSH port, as a number or a string of digits.
        port = e.port or e.sshPort or null;
        portText = if builtins.isInt port then toString port else port;
      in
      if
        port != null
        && !(
          isString portText
          && match "[0-9]{1,5}" portText != null
          && builtins.fromJSON portText >= 1
          && builtins.fromJSON portText <= 65535
        )
      then
        throw "leaf-config.nix: ${role} ${e.hostname} has an invalid port ${builtins.toJSON port}"
      else
        {
          inherit role;
          name = e.hostname;
          # What deploy-rs connects to: the ip when given, else the host name itself.
          address = if isString (e.ip or null) then e.ip else e.hostname;
          # `user` is accepted as another name for sshUser, as `hwinv extract --fleet` does.
          sshUser = e.sshUser or e.user or defaultSshUser;
          port = if port == null then null else portText;
        };
  secondaries = checkedLeaf.secondaries or [ ];
  leafEntries =
    (if (checkedLeaf.primary or null) == null then [ ] else [ (entry "primary" checkedLeaf.primary) ])
    ++ (
      if isList secondaries then
        map (entry "secondary") secondaries
      else
        throw "leaf-config.nix: secondaries must be a list"
    );
  duplicates =
    let
      go =
        seen: list:
        if list == [ ] then
          [ ]
        else
          let
            n = (builtins.head list).name;
            rest = builtins.tail list;
          in
          (if hasAttr n seen then [ n ] else [ ]) ++ go (seen // { ${n} = true; }) rest;
    in
    go { } leafEntries;
  checkedEntries =
    if duplicates != [ ] then
      throw "leaf-config.nix lists ${builtins.head duplicates} more than once"
    else
      leafEntries;
  deployable = h: h.platform == "darwin" || runsNixos h;
in
rec {
  # Every discovered host, by name.
  inherit hosts;
  # Names of macOS hosts (darwinConfigurations) and Linux hosts (nixosConfigurations), sorted.
  darwin = filter (n: hosts.${n}.platform == "darwin") (attrNames hosts);
  nixos = filter (n: runsNixos hosts.${n}) (attrNames hosts);
  # Linux hosts that run another distribution: no NixOS configuration, no deploy node.
  otherLinux = filter (n: hosts.${n}.platform == "linux" && !(runsNixos hosts.${n})) (attrNames hosts);
  # Inventory entries that were not taken as hosts, and why (for diagnostics, never evaluated as code).
  ignored =
    map (n: {
      name = n;
      reason = "invalid host name";
    }) (filter (n: isDir n && !validName n) (attrNames entries))
    ++ map (h: {
      inherit (h) name;
      reason = "hardware.nix names no known platform or Nix system";
    }) (filter (h: !(hasAttr h.name hosts)) all);
  # Deploy nodes: leaf-config entries that are discovered hosts, by name.
  deployNodes = toSet (
    map (e: e // { inherit (hosts.${e.name}) platform system; }) (
      filter (e: hasAttr e.name hosts && deployable hosts.${e.name}) checkedEntries
    )
  );
  # leaf-config entries that are inventoried but run neither NixOS nor macOS.
  notDeployable = map (e: e.name) (
    filter (e: hasAttr e.name hosts && !(deployable hosts.${e.name})) checkedEntries
  );
  # leaf-config entries with no inventory/<host>/hardware.nix (extract them first).
  notInventoried = map (e: e.name) (filter (e: !(hasAttr e.name hosts)) checkedEntries);
  primary =
    let
      p = filter (e: e.role == "primary") checkedEntries;
    in
    if p == [ ] then null else (builtins.head p).name;
}
