# Shared by the benchmarks: a private sshd on 127.0.0.1 with its own host and user keys.
# start_sshd WORKDIR sets $port, $user and $sshopts (known_hosts pinned to this server's key).
start_sshd() {
  local work=$1
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
  cp "$work/user_key.pub" "$work/authorized_keys"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
MaxStartups 400:30:800
MaxSessions 400
Subsystem sftp internal-sftp
CFG
  mkdir -p /run/sshd
  /usr/sbin/sshd -f "$work/sshd_config"
  sleep 0.3
  user=$(id -un)
  echo "[127.0.0.1]:$port $(cat "$work/host_key.pub")" >"$work/known_hosts"
  sshopts=(-o "UserKnownHostsFile=$work/known_hosts" -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
    -o IdentityAgent=none -o BatchMode=yes)
}
