//! Stream filters: FlateDecode (with PNG and TIFF predictors) and ASCIIHexDecode, each bounded
//! by [`Limits::max_decompressed_bytes`].

use std::io::Read as _;

use super::error::{PdfError, PdfErrorKind};
use super::lexer::hex_value;
use super::object::{Dict, Object, is_whitespace};
use crate::error::Result;
use crate::limits::{LimitExceeded, Limits};

/// Decodes `data` through the `/Filter` chain of `dict`.
///
/// # Errors
///
/// [`PdfErrorKind::UnsupportedFilter`] for filters other than FlateDecode and ASCIIHexDecode,
/// [`PdfErrorKind::InvalidStream`] for corrupt data, and [`LimitExceeded::DecompressedBytes`]
/// when the output would exceed the limit.
pub fn decode(dict: &Dict, data: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let filters: Vec<&[u8]> = match dict.get(b"Filter") {
        None | Some(Object::Null) => return bounded_copy(data, limits),
        Some(Object::Name(n)) => vec![n.as_bytes()],
        Some(Object::Array(items)) => items
            .iter()
            .map(|o| {
                o.as_name()
                    .ok_or_else(|| invalid("/Filter entry is not a name"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("/Filter is not a name or array").into()),
    };
    let params: Vec<Option<&Dict>> = match dict.get(b"DecodeParms") {
        None | Some(Object::Null) => vec![None; filters.len()],
        Some(Object::Dict(d)) => vec![Some(d)],
        Some(Object::Array(items)) => items.iter().map(Object::as_dict).collect(),
        Some(_) => return Err(invalid("/DecodeParms is not a dictionary or array").into()),
    };
    let mut current = std::borrow::Cow::Borrowed(data);
    for (i, name) in filters.iter().enumerate() {
        let parms = params.get(i).copied().flatten();
        current = std::borrow::Cow::Owned(match *name {
            b"FlateDecode" | b"Fl" => {
                let raw = inflate(&current, limits)?;
                apply_predictor(raw, parms, limits)?
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&current)?,
            other => {
                return Err(PdfError::new(PdfErrorKind::UnsupportedFilter(
                    String::from_utf8_lossy(other).into_owned(),
                ))
                .into());
            }
        });
    }
    Ok(current.into_owned())
}

const fn invalid(what: &'static str) -> PdfError {
    PdfError::new(PdfErrorKind::InvalidStream(what))
}

const fn too_big(limits: &Limits) -> LimitExceeded {
    LimitExceeded::DecompressedBytes {
        limit: limits.max_decompressed_bytes,
    }
}

fn bounded_copy(data: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    if data.len() as u64 > limits.max_decompressed_bytes {
        return Err(too_big(limits).into());
    }
    Ok(data.to_vec())
}

/// Inflates zlib data, reading at most one byte more than the limit.
pub fn inflate(data: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let cap = limits.max_decompressed_bytes.saturating_add(1);
    flate2::read::ZlibDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| invalid("corrupt FlateDecode data"))?;
    if out.len() as u64 > limits.max_decompressed_bytes {
        return Err(too_big(limits).into());
    }
    Ok(out)
}

fn ascii_hex(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut high = None;
    for &b in data {
        if b == b'>' {
            break;
        }
        if is_whitespace(b) {
            continue;
        }
        let v = hex_value(b).ok_or_else(|| invalid("bad character in ASCIIHexDecode data"))?;
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Ok(out)
}

fn parm(parms: Option<&Dict>, key: &[u8], default: i64) -> i64 {
    parms.and_then(|d| d.integer(key)).unwrap_or(default)
}

fn apply_predictor(data: Vec<u8>, parms: Option<&Dict>, limits: &Limits) -> Result<Vec<u8>> {
    let predictor = parm(parms, b"Predictor", 1);
    if predictor == 1 {
        return Ok(data);
    }
    let colors = parm(parms, b"Colors", 1);
    let bpc = parm(parms, b"BitsPerComponent", 8);
    let columns = parm(parms, b"Columns", 1);
    if !(1..=32).contains(&colors)
        || ![1, 2, 4, 8, 16].contains(&bpc)
        || !(1..=1 << 24).contains(&columns)
    {
        return Err(invalid("bad predictor parameters").into());
    }
    // Bounded by the checks above, so these fit comfortably.
    let bits_per_pixel = usize::try_from(colors * bpc).map_err(|_| invalid("bad parameters"))?;
    let row_bits = usize::try_from(columns)
        .ok()
        .and_then(|c| c.checked_mul(bits_per_pixel))
        .ok_or_else(|| invalid("bad predictor parameters"))?;
    let row_len = row_bits.div_ceil(8);
    let bpp = bits_per_pixel.div_ceil(8).max(1);
    match predictor {
        2 => tiff_predictor(data, row_len, bpp, bpc),
        10..=15 => png_predictor(&data, row_len, bpp, limits),
        _ => Err(invalid("unknown predictor").into()),
    }
}

fn tiff_predictor(mut data: Vec<u8>, row_len: usize, bpp: usize, bpc: i64) -> Result<Vec<u8>> {
    if bpc != 8 {
        return Err(PdfError::new(PdfErrorKind::Unsupported(
            "TIFF predictor with other than 8 bits per component",
        ))
        .into());
    }
    for row in data.chunks_mut(row_len) {
        for i in bpp..row.len() {
            row[i] = row[i].wrapping_add(row[i - bpp]);
        }
    }
    Ok(data)
}

fn png_predictor(data: &[u8], row_len: usize, bpp: usize, limits: &Limits) -> Result<Vec<u8>> {
    let stride = row_len + 1;
    let rows = data.len() / stride;
    let out_len = rows.saturating_mul(row_len);
    if out_len as u64 > limits.max_decompressed_bytes {
        return Err(too_big(limits).into());
    }
    let mut out = Vec::with_capacity(out_len);
    let mut prev = vec![0u8; row_len];
    // A short final row is accepted as in other readers: it is decoded as far as it goes.
    for chunk in data.chunks(stride) {
        let Some((&tag, row)) = chunk.split_first() else {
            break;
        };
        let mut cur = row.to_vec();
        for i in 0..cur.len() {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            let add = match tag {
                0 => 0,
                1 => left,
                2 => up,
                3 => u8::try_from((u16::from(left) + u16::from(up)) / 2).unwrap_or(0),
                4 => paeth(left, up, up_left),
                _ => return Err(invalid("bad PNG predictor tag").into()),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        out.extend_from_slice(&cur);
        prev[..cur.len()].copy_from_slice(&cur);
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::io::Write as _;

    pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn dict(src: &[u8]) -> Dict {
        let mut lx = crate::pdf::lexer::Lexer::new(src, 0, true);
        match crate::pdf::parser::parse_object(&mut lx, 8).unwrap() {
            Object::Dict(d) => d,
            _ => panic!(),
        }
    }

    #[test]
    fn flate_round_trip_and_limit() {
        let data = vec![7u8; 10_000];
        let d = dict(b"<</Filter /FlateDecode>>");
        let limits = Limits::default();
        assert_eq!(decode(&d, &deflate(&data), &limits).unwrap(), data);
        let small = Limits {
            max_decompressed_bytes: 9_999,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&d, &deflate(&data), &small),
            Err(Error::Limit(LimitExceeded::DecompressedBytes {
                limit: 9_999
            }))
        ));
        assert!(decode(&d, b"not zlib", &limits).is_err());
    }

    #[test]
    fn png_up_predictor() {
        // Two rows of 3 bytes, the second "up"-encoded as differences from the first.
        let raw = [2u8, 1, 2, 3, 2, 1, 1, 1];
        let d = dict(b"<</Filter [/FlateDecode] /DecodeParms [<</Predictor 12 /Columns 3>>]>>");
        let out = decode(&d, &deflate(&raw), &Limits::default()).unwrap();
        assert_eq!(out, [1, 2, 3, 2, 3, 4]);
        let bad = [9u8, 1, 2, 3];
        assert!(decode(&d, &deflate(&bad), &Limits::default()).is_err());
    }

    #[test]
    fn png_sub_average_paeth_and_tiff() {
        let d = dict(b"<</Filter /Fl /DecodeParms <</Predictor 15 /Columns 2 /Colors 1>>>>");
        let raw = [1u8, 5, 1, 3, 2, 1, 4, 3, 1];
        let out = decode(&d, &deflate(&raw), &Limits::default()).unwrap();
        assert_eq!(out, [5, 6, 4, 6, 7, 8]);
        let d = dict(b"<</Filter /Fl /DecodeParms <</Predictor 2 /Columns 3>>>>");
        let out = decode(&d, &deflate(&[1, 1, 1]), &Limits::default()).unwrap();
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn other_filters() {
        let d = dict(b"<</Filter /AHx>>");
        assert_eq!(decode(&d, b"41 42 4>", &Limits::default()).unwrap(), b"AB@");
        let d = dict(b"<</Filter /DCTDecode>>");
        assert!(matches!(
            decode(&d, b"", &Limits::default()),
            Err(Error::Pdf(PdfError { kind: PdfErrorKind::UnsupportedFilter(n), .. })) if n == "DCTDecode"
        ));
    }
}
