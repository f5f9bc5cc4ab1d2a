//! KernelSHAP's solve on the device (placeholder, filled below).
