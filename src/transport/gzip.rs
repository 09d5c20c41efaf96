//! gzip response bodies (RFC 1952), decoded with one raw-deflate decompressor per thread.

use super::MAX_BODY;

/// Decodes a gzip body (RFC 1952, one or more members, each checked against its CRC-32 and
/// length), up to [`MAX_BODY`] bytes.
///
/// ureq's own decoder (flate2) allocates, zeroes and moves a 43 KB inflate state for every
/// response: on the API's 50-byte bodies that was a third of the client's instructions per
/// follow. Here each thread keeps one raw-deflate decompressor and resets it per member,
/// which costs nothing: only its state field is reset, the tables are rebuilt per block.
pub(super) fn gunzip(mut input: &[u8]) -> Result<Vec<u8>, &'static str> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    use std::cell::RefCell;
    thread_local! {
        static INFLATE: RefCell<Option<Box<DecompressorOxide>>> = const { RefCell::new(None) };
    }
    let limit = usize::try_from(MAX_BODY).unwrap_or(usize::MAX);
    let mut out = vec![0u8; input.len().saturating_mul(4).clamp(256, limit)];
    let mut len = 0;
    INFLATE.with(|cell| {
        let mut fresh = None;
        let mut slot = cell.try_borrow_mut();
        let d: &mut DecompressorOxide = match slot.as_deref_mut() {
            Ok(s) => s.get_or_insert_with(Box::default),
            Err(_) => fresh.get_or_insert_with(Box::<DecompressorOxide>::default),
        };
        loop {
            input = gzip_member_start(input)?;
            d.init();
            let start = len;
            loop {
                let (status, used, produced) = decompress(
                    d,
                    input,
                    &mut out,
                    len,
                    inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
                );
                input = &input[used.min(input.len())..];
                len += produced;
                match status {
                    TINFLStatus::Done => break,
                    TINFLStatus::HasMoreOutput if out.len() < limit => {
                        out.resize(out.len().saturating_mul(2).min(limit), 0);
                    }
                    TINFLStatus::HasMoreOutput => return Err("body larger than 1 MiB"),
                    TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                        return Err("unexpected end of gzip data")
                    }
                    _ => return Err("invalid deflate data"),
                }
            }
            let trailer = input.get(..8).ok_or("unexpected end of gzip data")?;
            let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
            let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
            if crc != crc32fast::hash(&out[start..len]) {
                return Err("CRC-32 mismatch");
            }
            if size != (len - start) as u32 {
                return Err("length mismatch");
            }
            input = &input[8..];
            if input.is_empty() {
                break;
            }
        }
        out.truncate(len);
        Ok(out)
    })
}

/// The deflate data of the gzip member at the start of `b` (its header skipped).
fn gzip_member_start(b: &[u8]) -> Result<&[u8], &'static str> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let eof = "unexpected end of gzip data";
    let head = b.get(..10).ok_or(eof)?;
    if head[..3] != [0x1f, 0x8b, 8] || head[3] & 0xe0 != 0 {
        return Err("invalid gzip header");
    }
    let flags = head[3];
    let mut rest = &b[10..];
    if flags & FEXTRA != 0 {
        let n = rest.get(..2).ok_or(eof)?;
        let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
        rest = rest.get(2 + n..).ok_or(eof)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = rest.iter().position(|&c| c == 0).ok_or(eof)?;
            rest = &rest[end + 1..];
        }
    }
    if flags & FHCRC != 0 {
        rest = rest.get(2..).ok_or(eof)?;
    }
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One gzip member of `data`, compressed at `level`, with the header flags `flags` and
    /// the optional fields they announce.
    fn gzip(data: &[u8], level: u8, flags: u8) -> Vec<u8> {
        let mut g = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 0xff];
        if flags & 4 != 0 {
            g.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        }
        if flags & 8 != 0 {
            g.extend_from_slice(b"body.json\0");
        }
        if flags & 16 != 0 {
            g.extend_from_slice(b"a comment\0");
        }
        if flags & 2 != 0 {
            g.extend_from_slice(&[0x12, 0x34]);
        }
        g.extend(miniz_oxide::deflate::compress_to_vec(data, level));
        g.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        g.extend_from_slice(&(data.len() as u32).to_le_bytes());
        g
    }

    #[test]
    fn gunzip_members_and_header_fields() {
        let body = br#"{"data":{"following":true,"pending_follow":false}}"#;
        for level in [0, 1, 6, 10] {
            for flags in [0, 2, 4, 8, 16, 30] {
                assert_eq!(gunzip(&gzip(body, level, flags)).unwrap(), body);
            }
        }
        // Several members are concatenated (as flate2's MultiGzDecoder, which ureq used).
        let mut two = gzip(b"{\"data\":", 6, 0);
        two.extend(gzip(b"{}}", 1, 8));
        assert_eq!(gunzip(&two).unwrap(), b"{\"data\":{}}");
        // The per-thread decompressor is reset between bodies: a long body, then a short one.
        let long: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        assert_eq!(gunzip(&gzip(&long, 6, 0)).unwrap(), long);
        assert_eq!(gunzip(&gzip(b"", 6, 0)).unwrap(), b"");
        assert_eq!(gunzip(&gzip(body, 6, 0)).unwrap(), body);
    }

    #[test]
    fn gunzip_refuses_bad_input() {
        let body = br#"{"data":{"following":true}}"#;
        let good = gzip(body, 6, 0);
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(gunzip(&bad_crc), Err("CRC-32 mismatch"));
        let mut bad_len = good.clone();
        bad_len[n - 1] ^= 1;
        assert_eq!(gunzip(&bad_len), Err("length mismatch"));
        for cut in [0, 5, 12, n - 9, n - 1] {
            assert_eq!(
                gunzip(&good[..cut]),
                Err("unexpected end of gzip data"),
                "cut at {cut}"
            );
        }
        assert_eq!(gunzip(body), Err("invalid gzip header"));
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk after the member");
        assert_eq!(gunzip(&trailing), Err("invalid gzip header"));
        let mut reserved = good.clone();
        reserved[3] = 0x20;
        assert_eq!(gunzip(&reserved), Err("invalid gzip header"));
        let mut garbage = good[..10].to_vec();
        garbage.extend_from_slice(&[0xff; 16]);
        assert_eq!(gunzip(&garbage), Err("invalid deflate data"));
        // More than MAX_BODY once decoded.
        let big = vec![b' '; (MAX_BODY + 1) as usize];
        assert_eq!(gunzip(&gzip(&big, 6, 0)), Err("body larger than 1 MiB"));
        assert_eq!(
            gunzip(&gzip(&big[..MAX_BODY as usize], 6, 0)).map(|v| v.len()),
            Ok(MAX_BODY as usize)
        );
    }
}
