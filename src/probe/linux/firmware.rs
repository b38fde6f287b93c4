//! The `firmware` section: which firmware booted the kernel, from the paths that exist among
//! `/sys/firmware/efi`, its `efivars`, and the device tree. The boot loader hwinv generates follows from it
//! (systemd-boot on UEFI, GRUB on BIOS, the board's own loader on device-tree machines).

use crate::model::{BootFirmware, Firmware};
use crate::probe::ParseError;

/// Parse the `firmware` section: one existing path per line.
///
/// ```text
/// /sys/firmware/efi
/// /sys/firmware/efi/efivars
/// ```
///
/// Nothing at all is a valid answer (a BIOS PC); `x86` says whether that absence means BIOS, since an
/// ARM or RISC-V board without EFI or a device tree booted some other way hwinv does not know.
pub fn parse_firmware(text: &str, x86: bool) -> Result<Firmware, ParseError> {
    let mut efi = false;
    let mut efi_variables = false;
    let mut device_tree = false;
    let mut extlinux = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line {
            "/sys/firmware/efi" => efi = true,
            "/sys/firmware/efi/efivars" => efi_variables = true,
            "/sys/firmware/devicetree/base" | "/proc/device-tree" => device_tree = true,
            "/boot/extlinux/extlinux.conf" => extlinux = true,
            other => {
                let shown: String = other.chars().take(80).collect();
                return Err(ParseError::new(
                    "firmware",
                    format!("unexpected line {shown:?}"),
                ));
            }
        }
    }
    let boot = if efi {
        Some(BootFirmware::Uefi)
    } else if device_tree {
        Some(BootFirmware::DeviceTree)
    } else if x86 {
        Some(BootFirmware::Bios)
    } else {
        None
    };
    Ok(Firmware {
        boot,
        efi_variables: efi && efi_variables,
        device_tree,
        extlinux,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uefi_bios_device_tree_and_garbage() {
        let f = parse_firmware("/sys/firmware/efi\n/sys/firmware/efi/efivars\n", true).unwrap();
        assert_eq!((f.boot, f.efi_variables), (Some(BootFirmware::Uefi), true));
        assert_eq!(
            parse_firmware("", true).unwrap().boot,
            Some(BootFirmware::Bios)
        );
        assert_eq!(parse_firmware("", false).unwrap().boot, None);
        let pi =
            parse_firmware("/sys/firmware/devicetree/base\n/proc/device-tree\n", false).unwrap();
        assert_eq!(pi.boot, Some(BootFirmware::DeviceTree));
        assert!(parse_firmware("/etc/passwd\n", true).is_err());
        // Variables without EFI itself cannot be: not claimed.
        assert!(
            !parse_firmware("/sys/firmware/efi/efivars\n", true)
                .unwrap()
                .efi_variables
        );
    }
}
