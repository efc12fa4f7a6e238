//! Compiles proto/stream.proto with the protoc that protoc-bin-vendored ships, so the build needs
//! no protoc installed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        // `bytes` fields as `Bytes`: a received chunk is not copied out of its buffer, and the
        // server sends one buffer's clones.
        .bytes(".stream")
        .compile_with_config(config, &["proto/stream.proto"], &["proto"])?;
    Ok(())
}
