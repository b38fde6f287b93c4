# hwinv probe: one POSIX sh script per extraction, fed on stdin (`sh -s`) locally or over SSH.
#
# hwinv prepends HWINV_B=<random boundary> and HWINV_SECTIONS=<space-separated names or "all">, and for the
# services section HWINV_SERVICE_TIMEOUT=<seconds> and HWINV_SERVICES='<probe lines>' (see sec_services).
# Sections are grouped; each group runs in the background under one time bound, so a slow tool
# (system_profiler, nvidia-smi, lsblk on a sick disk) cannot hold up the others, and groups run side by side.
# Every section is printed framed as
#   <B> begin NAME
#   ...stdout...
#   <B> stderr NAME
#   ...stderr...
#   <B> end NAME EXIT_STATUS TIMED_OUT(0|1)
# and the output ends with "<B> done". A newline is printed before each marker so a section whose output
# lacks a final newline still frames; the reader strips exactly that one newline. Commands are called by
# name, never by absolute path, so the user's PATH decides as it would for a login.

umask 077
T=$(mktemp -d 2>/dev/null || { d="${TMPDIR:-/tmp}/hwinv.$$" && mkdir -m 700 "$d" && echo "$d"; }) || exit 70
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
LC_ALL=C
export LC_ALL
GROUPS_STARTED=""
PIDS=""

# section NAME COMMAND [ARGS...]: run one section inline, framed (called inside a group).
section() {
  n=$1
  shift
  case " $HWINV_SECTIONS " in
    *" all "* | *" $n "*) ;;
    *) return 0 ;;
  esac
  case " ${HWINV_SKIP:-} " in
    *" $n "*) return 0 ;;
  esac
  echo "$n" >"$T/$G.cur"
  printf '\n%s begin %s\n' "$HWINV_B" "$n"
  "$@" 2>"$T/$G.err" </dev/null
  rc=$?
  t=0
  if [ -e "$T/$G.timeout" ]; then
    read -r tn <"$T/$G.timeout"
    [ "$tn" = "$n" ] && t=1
  fi
  printf '\n%s stderr %s\n' "$HWINV_B" "$n"
  [ -s "$T/$G.err" ] && cat "$T/$G.err"
  printf '\n%s end %s %s %s\n' "$HWINV_B" "$n" "$rc" "$t"
  : >"$T/$G.cur"
}

# group NAME SECONDS: run the function grp_NAME in the background into $T/NAME.out, bounded by the watchdog.
group() {
  GROUPS_STARTED="$GROUPS_STARTED $1"
  (
    G=$1
    "grp_$1" >"$T/$1.out" 2>/dev/null
  ) &
  eval "pid_$1=\$! lim_$1=\$2"
  PIDS="$PIDS $!"
}

# One watchdog for every group (one process ticking each second, not one per group, keeps the probe cheap).
# At its bound a group's running tool is stopped and the group goes on, framing that section as timed out;
# a group still stuck two seconds later (a tool that ignores TERM) is killed and the reader closes it.
watchdog() {
  t=0
  while :; do
    sleep 1
    t=$((t + 1))
    for g in $GROUPS_STARTED; do
      eval "p=\$pid_$g l=\$lim_$g"
      [ "$t" -lt "$l" ] && continue
      kill -0 "$p" 2>/dev/null || continue
      if [ "$t" -eq "$l" ]; then
        cp "$T/$g.cur" "$T/$g.timeout" 2>/dev/null || : >"$T/$g.timeout"
        pkill -TERM -P "$p"
      elif [ "$t" -ge $((l + 2)) ]; then
        c=$(pgrep -P "$p")
        kill -KILL "$p"
        # shellcheck disable=SC2086 # one pid per word
        [ -n "$c" ] && kill -KILL $c
      fi
    done
  done
}

# need TOOL || return: status 127 (reported as "missing") when TOOL is not on PATH.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "$1: command not found" >&2
  return 127
}

# Print files as "path:value" lines in one process; unreadable files are named on stderr.
show() {
  grep -a -s -H '' "$@"
  return 0
}

# uname -s, -n, -r and -m on four lines, from one uname (none of the four fields holds a space).
sec_uname() {
  u=$(uname -snrm) || return
  # shellcheck disable=SC2086 # split into the four fields
  set -- $u
  printf '%s\n' "$1" "$2" "$3" "$4"
}
# cat without a process, for small files.
shcat() {
  [ -r "$1" ] || {
    echo "$1: cannot read" >&2
    return 1
  }
  while IFS= read -r l || [ -n "$l" ]; do
    printf '%s\n' "$l"
  done <"$1"
}
sec_os_release() { shcat /etc/os-release 2>/dev/null || shcat /usr/lib/os-release; }
# Topology as lscpu reads it: sibling lists, not ids alone (POWER's package id is -1, RISC-V numbers cores
# per cluster), plus s390 books/drawers and which CPUs are online. One grep; missing files are skipped.
sec_cpu_topology() {
  c=/sys/devices/system/cpu
  show $c/online $c/present $c/cpu[0-9]*/topology/physical_package_id $c/cpu[0-9]*/topology/core_id \
    $c/cpu[0-9]*/topology/thread_siblings_list $c/cpu[0-9]*/topology/core_siblings_list \
    $c/cpu[0-9]*/topology/cluster_cpus_list $c/cpu[0-9]*/topology/die_id \
    $c/cpu[0-9]*/topology/book_id $c/cpu[0-9]*/topology/drawer_id \
    /sys/devices/cpu_core/cpus /sys/devices/cpu_atom/cpus
}
sec_memory_blocks() {
  show /sys/devices/system/memory/block_size_bytes /sys/devices/system/memory/memory[0-9]*/online
}
sec_dmi() {
  for f in /sys/class/dmi/id/product_serial /sys/class/dmi/id/board_serial; do
    [ -e "$f" ] && [ ! -r "$f" ] && echo "$f: Permission denied" >&2
  done
  show /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name /sys/class/dmi/id/product_version \
    /sys/class/dmi/id/product_serial /sys/class/dmi/id/board_vendor /sys/class/dmi/id/board_name \
    /sys/class/dmi/id/chassis_type /proc/device-tree/model /proc/device-tree/serial-number
}
# Which firmware booted the kernel: the paths that exist among the EFI and device-tree ones.
sec_firmware() {
  for p in /sys/firmware/efi /sys/firmware/efi/efivars /sys/firmware/devicetree/base /proc/device-tree \
    /boot/extlinux/extlinux.conf; do
    [ -e "$p" ] && echo "$p"
  done
  return 0
}
# PCI functions and USB interfaces: their uevent files (driver, class, ids) in one grep.
sec_devices() {
  show /sys/bus/pci/devices/*/uevent /sys/bus/usb/devices/*:*/uevent
}
# Which module provides each driver, and which driver serves each disk and MMC host: the links, in one ls.
sec_drivers() {
  ls -ld /sys/bus/*/drivers/*/module /sys/class/block/*/device/driver /sys/class/mmc_host/*/device/driver \
    2>/dev/null
  return 0
}
# Stable names of block devices; a machine without udev has none, which is an answer too.
sec_disk_links() {
  ls -l /dev/disk/by-uuid /dev/disk/by-label /dev/disk/by-partuuid /dev/mapper 2>/dev/null
  return 0
}
# Device-mapper devices (LUKS, LVM): names, UUIDs (whose prefix says which), and what each is built on.
sec_dm() {
  show /sys/block/dm-*/dm/name /sys/block/dm-*/dm/uuid
  ls -l /sys/block/dm-*/slaves/ 2>/dev/null
  return 0
}
sec_virt() {
  need systemd-detect-virt || return
  # Each prints "none" and exits 1 when there is none; the two run side by side (each costs milliseconds).
  systemd-detect-virt --container >"$T/virt.ct" 2>/dev/null &
  vm=$(systemd-detect-virt --vm 2>/dev/null)
  wait $!
  read -r ct <"$T/virt.ct" || ct=""
  printf 'vm %s\ncontainer %s\n' "$vm" "$ct"
}
# GPUs the kernel drives (AMD, Intel, any vendor; NVIDIA only with nvidia-drm or nouveau): each card's PCI
# ids, uevent (driver, PCI_ID, slot) and amdgpu's VRAM size, in one grep. cardN and cardNN only, not the
# connectors (card0-HDMI-A-1). No /sys/class/drm: no card, empty output.
sec_drm() {
  d=/sys/class/drm
  [ -d $d ] || return 0
  set --
  for f in vendor device uevent mem_info_vram_total product_name; do
    set -- "$@" $d/card[0-9]/device/$f $d/card[0-9][0-9]/device/$f
  done
  show "$@"
}
sec_lsblk() {
  need lsblk || return
  lsblk -J -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL,TRAN,ROTA,RM,VENDOR 2>/dev/null || lsblk -J -b -d
}
sec_ip_addr() {
  need ip || return
  ip -j addr show
}
sec_net_sysfs() {
  show /sys/class/net/*/address /sys/class/net/*/operstate /sys/class/net/*/speed /sys/class/net/*/mtu \
    /sys/class/net/*/type
}
sec_nvidia_smi() {
  need nvidia-smi || return
  nvidia-smi -q -x >"$T/nvidia.xml"
  r=$?
  echo "$r" >"$T/nvidia.rc"
  cat "$T/nvidia.xml"
  return "$r"
}
# The CSV query is asked only when the XML one is not usable: nvidia-smi failed, the XML stops before its
# closing tag, or it holds bytes outside printable ASCII (concurrent runs have put raw bytes in it).
# Not after a timeout: a second query would hang the same way.
nvidia_csv_needed() {
  command -v nvidia-smi >/dev/null 2>&1 || return 1
  [ -e "$T/$G.timeout" ] && return 1
  r=1
  [ -s "$T/nvidia.rc" ] && read -r r <"$T/nvidia.rc"
  [ "$r" = 0 ] || return 0
  grep -q '</nvidia_smi_log>' "$T/nvidia.xml" || return 0
  LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/nvidia.xml" && return 0
  return 1
}
sec_nvidia_smi_csv() {
  need nvidia-smi || return
  nvidia-smi --query-gpu=index,name,memory.total,driver_version,uuid,pci.bus_id --format=csv,noheader,nounits
}
sec_mac_hostname() {
  need scutil || return
  scutil --get LocalHostName
}
sec_sw_vers() {
  need sw_vers || return
  sw_vers
}
sec_sysctl() { sysctl hw machdep kern; }
sec_rosetta() { sysctl -n sysctl.proc_translated; }
sec_sp() {
  need system_profiler || return
  system_profiler -json "$1"
}
sec_ifconfig() {
  need ifconfig || return
  ifconfig -a
}

# Two groups of quick reads, so both cores work on them.
grp_linux() {
  section uname sec_uname
  section os_release sec_os_release
  section cpuinfo cat /proc/cpuinfo
  section meminfo shcat /proc/meminfo
  section ip_addr sec_ip_addr
  section mountinfo shcat /proc/self/mountinfo
  section swaps shcat /proc/swaps
  section disk_links sec_disk_links
  section dm sec_dm
  section virt sec_virt
}
grp_linux_sys() {
  section cpu_topology sec_cpu_topology
  section memory_blocks sec_memory_blocks
  section dmi sec_dmi
  section net_sysfs sec_net_sysfs
  section firmware sec_firmware
  section devices sec_devices
  section drivers sec_drivers
  section drm sec_drm
}
grp_lsblk() { section lsblk sec_lsblk; }
grp_nvidia() {
  section nvidia_smi sec_nvidia_smi
  nvidia_csv_needed && section nvidia_smi_csv sec_nvidia_smi_csv
}
grp_darwin() {
  section uname sec_uname
  section hostname sec_mac_hostname
  section sw_vers sec_sw_vers
  section sysctl sec_sysctl
  section rosetta sec_rosetta
  section ifconfig sec_ifconfig
}
# system_profiler stalls for seconds (SPHardwareDataType waits on the Activation Lock check): each data
# type gets its own bound and they run side by side.
grp_sp_hardware() { section sp_hardware sec_sp SPHardwareDataType; }
grp_sp_displays() { section sp_displays sec_sp SPDisplaysDataType; }
grp_sp_storage() { section sp_storage sec_sp SPStorageDataType; }

# services: probe every HTTP endpoint in HWINV_SERVICES (lines "NAME KIND EXPECTED_STATUS URL", checked and
# single-quoted by hwinv) from this host, all at once, each bounded by HWINV_SERVICE_TIMEOUT seconds (the
# client's own bound, plus a watchdog). Prints "client curl|wget SECONDS", then per probe its spec line,
# "result EXIT HTTP_CODE KILLED(0|1)", the client's errors as "!" lines and, for kinds whose body hwinv reads
# (not "http"), up to 256 KiB of body as "|" lines, so no body can forge a record. Proxies are ignored: the
# services listen on this host.
svc_fetch() {
  if [ "$c" = curl ]; then
    # curl's -m is a hard bound of its own; the services group's bound backs it up.
    curl -q -sS -g --noproxy '*' --proto '=http,https' --connect-timeout "$to" -m "$to" \
      -o "$1.body" -w '%{http_code}' "$2" >"$1.code" 2>"$1.err"
    echo $? >"$1.rc"
    return
  fi
  # wget's -T bounds each read, not the whole request: add a watchdog.
  wget -q -S -t 1 -T "$to" -O "$1.body" "$2" >/dev/null 2>"$1.err" &
  p=$!
  (
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$((to + 2))" &
    sp=$!
    wait "$sp"
    : >"$1.killed"
    kill -KILL "$p" 2>/dev/null
  ) >/dev/null 2>&1 &
  w=$!
  wait "$p"
  echo $? >"$1.rc"
  kill -TERM "$w" 2>/dev/null
}
sec_services() (
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  if command -v curl >/dev/null 2>&1; then
    c=curl
  elif command -v wget >/dev/null 2>&1; then
    c=wget
  else
    echo "curl: command not found (nor wget)" >&2
    exit 127
  fi
  to=${HWINV_SERVICE_TIMEOUT:-2}
  d="$T/services.d"
  mkdir "$d" || exit 1
  echo "client $c $to"
  i=0
  set --
  while read -r name kind expect url; do
    [ -n "$url" ] || continue
    i=$((i + 1))
    printf 'probe %s %s %s %s\n' "$name" "$kind" "$expect" "$url" >"$d/$i.spec"
    set -- "$@" -o "$d/$i.body" "$url"
  done <<EOF
${HWINV_SERVICES:-}
EOF
  # One curl for every probe (--parallel, curl 7.75+): starting curl costs more CPU than the probes.
  multi=1
  if [ "$c" = curl ] && [ "$i" -gt 0 ]; then
    curl -q -sS -g --noproxy '*' --proto '=http,https' --connect-timeout "$to" -m "$to" \
      --parallel --parallel-immediate --parallel-max 64 \
      -w '%{urlnum} %{exitcode} %{http_code} %{errormsg}\n' "$@" >"$d/all.w" 2>/dev/null
    # Exit status 2: this curl lacks --parallel or the -w variables; probe one by one below.
    [ $? -ne 2 ] && [ -s "$d/all.w" ] && multi=0
  fi
  if [ "$multi" -eq 0 ]; then
    while read -r n ec code msg; do
      n=$((n + 1))
      echo "$ec" >"$d/$n.rc"
      printf '%s' "$code" >"$d/$n.code"
      [ -n "$msg" ] && printf 'curl: %s\n' "$msg" >"$d/$n.err"
    done <"$d/all.w"
  else
    j=0
    while [ "$j" -lt "$i" ]; do
      j=$((j + 1))
      read -r _ _ _ _ url <"$d/$j.spec"
      svc_fetch "$d/$j" "$url" &
    done
    wait
  fi
  j=1
  while [ "$j" -le "$i" ]; do
    f="$d/$j"
    j=$((j + 1))
    read -r spec <"$f.spec"
    printf '%s\n' "$spec"
    code=""
    if [ "$c" = curl ]; then
      [ -s "$f.code" ] && read -r code <"$f.code"
      [ -s "$f.err" ] && head -n 3 "$f.err" | sed 's/^/!/'
    else
      code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9]*\).*/\1/p' "$f.err" 2>/dev/null | tail -n 1)
    fi
    k=0
    [ -e "$f.killed" ] && k=1
    rc=255
    [ -s "$f.rc" ] && read -r rc <"$f.rc"
    printf 'result %s %s %s\n' "$rc" "${code:-000}" "$k"
    read -r _ _ kind _ <"$f.spec"
    if [ "$kind" != http ] && [ -s "$f.body" ]; then
      dd if="$f.body" bs=262144 count=1 2>/dev/null | sed 's/^/|/'
      echo
    fi
  done
)
sec_systemd() {
  need systemctl || return
  # sd_booted(3)'s test: without it systemctl only fails, slowly.
  if [ ! -d /run/systemd/system ]; then
    echo "systemd: not running (no /run/systemd/system)" >&2
    return 1
  fi
  systemctl list-units --type=service --all --no-legend --plain --no-pager
}
sec_docker() {
  need docker || return
  # The CLI costs ~15 ms even to say the daemon is down: ask it only when a daemon can be reached.
  if [ -z "${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ] && [ ! -S "${HOME:-/}/.docker/run/docker.sock" ]; then
    echo "docker: no daemon socket (/var/run/docker.sock)" >&2
    return 1
  fi
  docker ps -a --format '{{json .}}'
}
grp_services() { section services sec_services; }
grp_systemd() { section systemd sec_systemd; }
grp_docker() { section docker sec_docker; }

kernel=$(uname -s 2>/dev/null)
printf '%s hwinv-probe 1 %s\n' "$HWINV_B" "$kernel"
slow=${HWINV_SLOW_TIMEOUT:-8}
case "$kernel" in
  Darwin)
    group sp_hardware "$slow"
    group sp_displays "$slow"
    group sp_storage "$slow"
    group darwin 5
    group services "$((${HWINV_SERVICE_TIMEOUT:-2} + 5))"
    group docker 5
    ;;
  *)
    group nvidia "$slow"
    group lsblk 5
    group linux 5
    group linux_sys 5
    group services "$((${HWINV_SERVICE_TIMEOUT:-2} + 5))"
    group systemd 5
    group docker 5
    ;;
esac
watchdog >/dev/null 2>&1 &
WD=$!
# shellcheck disable=SC2086 # word splitting of the pid list is intended
wait $PIDS
kill "$WD" 2>/dev/null
timed_out=0
for g in $GROUPS_STARTED; do
  [ -e "$T/$g.timeout" ] && timed_out=1
done
if [ "$timed_out" -eq 0 ]; then
  # The usual case: every group finished; one cat for all of them.
  set --
  for g in $GROUPS_STARTED; do
    set -- "$@" "$T/$g.out"
  done
  cat "$@" 2>/dev/null
else
  for g in $GROUPS_STARTED; do
    cat "$T/$g.out" 2>/dev/null
    # A group killed at its bound: close the section it was in, marked as timed out.
    if [ -e "$T/$g.timeout" ] && [ -s "$T/$g.cur" ]; then
      read -r n <"$T/$g.cur"
      printf '\n%s stderr %s\n' "$HWINV_B" "$n"
      printf '\n%s end %s 143 1\n' "$HWINV_B" "$n"
    fi
  done
fi
printf '%s done\n' "$HWINV_B"
