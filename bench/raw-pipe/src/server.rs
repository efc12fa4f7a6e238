//! The raw pipe server: per connection, read the header, then write or discard as fast as the
//! socket allows.

use std::{
    io::{self, Read as _, Write as _},
    net::{TcpListener, TcpStream},
    thread,
    time::Duration,
};

use crate::{DOWN, FILL, MAX_CHUNK, UP};

/// Accepts connections until the process ends, each served on a thread of its own.
pub fn serve(listener: TcpListener) {
    for socket in listener.incoming() {
        match socket {
            Ok(socket) => {
                thread::spawn(move || {
                    if let Err(err) = connection(socket) {
                        eprintln!("raw-pipe-server: {err}");
                    }
                });
            }
            Err(err) => {
                // Out of descriptors, usually: wait for some to close instead of spinning.
                eprintln!("raw-pipe-server: cannot accept: {err}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Serves one stream; a client that closes a download is how a download ends, not an error.
fn connection(mut socket: TcpStream) -> io::Result<()> {
    socket.set_nodelay(true)?;
    let mut header = [0; 5];
    socket.read_exact(&mut header)?;
    let chunk = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if chunk == 0 || chunk > MAX_CHUNK {
        return Err(invalid(format!(
            "chunk of {chunk} bytes refused: 1 to {MAX_CHUNK}"
        )));
    }
    match header[0] {
        DOWN => {
            let buffer = vec![FILL; chunk];
            loop {
                if let Err(err) = socket.write_all(&buffer) {
                    return match err.kind() {
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => Ok(()),
                        _ => Err(err),
                    };
                }
            }
        }
        UP => {
            let mut buffer = vec![0; chunk];
            let mut total: u64 = 0;
            loop {
                match socket.read(&mut buffer)? {
                    0 => break,
                    read => total += read as u64,
                }
            }
            socket.write_all(&total.to_le_bytes())
        }
        other => Err(invalid(format!("unknown direction byte {other:#04x}"))),
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
