//! Compiles proto/echo.proto with the protoc that protoc-bin-vendored ships, so the build needs
//! no protoc installed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        // `bytes` fields as `Bytes`: the payload is not copied out of the received buffer.
        .bytes(".echo")
        .compile_with_config(config, &["proto/echo.proto"], &["proto"])?;
    Ok(())
}
