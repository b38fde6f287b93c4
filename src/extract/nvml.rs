//! GPUs of this machine through NVML (libnvidia-ml), the interface NVIDIA keeps stable across drivers,
//! where nvidia-smi's text and XML formats have changed. Used only for local extraction: the library is
//! loaded at run time, so hwinv runs unchanged on machines without an NVIDIA driver.

use crate::model::Gpu;
use nvml_wrapper::{cuda_driver_version_major, cuda_driver_version_minor, Nvml};

/// Every GPU NVML reports, or `None` when NVML is not present or fails to initialise.
pub fn local_gpus() -> Option<Vec<Gpu>> {
    let nvml = Nvml::init().ok()?;
    let driver = nvml.sys_driver_version().ok();
    let cuda = nvml.sys_cuda_driver_version().ok().map(|v| {
        format!(
            "{}.{}",
            cuda_driver_version_major(v),
            cuda_driver_version_minor(v)
        )
    });
    let count = nvml.device_count().ok()?;
    let mut gpus = Vec::new();
    for index in 0..count {
        let Ok(dev) = nvml.device_by_index(index) else {
            continue;
        };
        let vram_bytes = dev.memory_info().ok().map(|m| m.total);
        gpus.push(Gpu {
            index,
            name: dev.name().unwrap_or_else(|_| "NVIDIA GPU".into()),
            vendor: "nvidia".into(),
            vram_bytes,
            vram_gb: vram_bytes.map(|b| (b as f64 / f64::from(1u32 << 30)).round() as u64),
            driver_version: driver.clone(),
            cuda_version: cuda.clone(),
            uuid: dev.uuid().ok(),
            pci_bus_id: dev.pci_info().ok().map(|p| p.bus_id),
            cores: None,
            mig_mode: None,
            driver: None,
        });
    }
    Some(gpus)
}
