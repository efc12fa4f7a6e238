//! ferry's native protocol, loaded the way `ferry bench` loads it: `echo.echo(data)` of the demo
//! services, arguments encoded once with the default codec (MessagePack).

use bytes::Bytes;
use ferry::{Address, ClientConfig};
use ferry_load::FerryTarget;

/// The target `ferry bench` uses, calling `echo.echo` with `payload` bytes of `x`, as
/// `ferry bench` does.
pub fn echo_target(address: impl Into<Address>, payload: usize) -> FerryTarget {
    let config = ClientConfig::default();
    let args = config
        .codec
        .encode(&(Bytes::from(vec![b'x'; payload]),))
        .expect("bytes encode in every codec");
    FerryTarget::new(address.into(), config, "echo.echo", args)
}
