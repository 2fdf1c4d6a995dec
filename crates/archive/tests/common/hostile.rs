//! Hostile archives, built at test time from a real one (no binary is committed): a
//! decompression bomb in place of the event log, an embedded files tree that points back at
//! itself, an attachment swapped for a large stored stream, an array of millions of references;
//! and the signature's CMS taken out and put back. Shared by the tests and the bench.
#![allow(dead_code)]

use flate2::{Compress, Compression, FlushCompress};
use lopdf::{dictionary, Document, Object, ObjectId, Stream};

const MIB: usize = 1024 * 1024;

/// A zlib stream that inflates to `mib` MiB of zeros, without compressing them all: one MiB
/// deflated with a full flush (byte-aligned, history reset) is the same bytes every time, so
/// it is repeated; the trailer's adler32 of n zeros is (1, n mod 65521).
pub fn zlib_zeros(mib: u64) -> Vec<u8> {
    let zeros = vec![0u8; MIB];
    let mut c = Compress::new(Compression::best(), false);
    let chunk = |c: &mut Compress, input: &[u8], flush| {
        let mut out = Vec::with_capacity(64 * 1024);
        let before = c.total_in();
        c.compress_vec(input, &mut out, flush).expect("deflate");
        assert_eq!(
            c.total_in() - before,
            input.len() as u64,
            "the chunk was taken whole"
        );
        out
    };
    let first = chunk(&mut c, &zeros, FlushCompress::Full);
    let steady = chunk(&mut c, &zeros, FlushCompress::Full);
    assert_eq!(
        chunk(&mut c, &zeros, FlushCompress::Full),
        steady,
        "after a full flush each MiB deflates to the same bytes"
    );
    let mut out = vec![0x78, 0xda];
    out.extend_from_slice(&first);
    for _ in 1..mib {
        out.extend_from_slice(&steady);
    }
    out.extend_from_slice(&chunk(
        &mut Compress::new(Compression::best(), false),
        &[],
        FlushCompress::Finish,
    ));
    let n = mib * MIB as u64;
    let adler = ((n % 65521) << 16) | 1;
    out.extend_from_slice(&(adler as u32).to_be_bytes());
    out
}

/// `data` deflated (zlib) once more.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

/// The embedded file stream of attachment `name`.
pub fn attachment_stream(doc: &Document, name: &str) -> ObjectId {
    doc.objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .find(|d| {
            d.get(b"F")
                .and_then(Object::as_str)
                .is_ok_and(|f| f == name.as_bytes())
                && d.has(b"EF")
        })
        .and_then(|spec| {
            spec.get(b"EF")
                .ok()?
                .as_dict()
                .ok()?
                .get(b"F")
                .ok()?
                .as_reference()
                .ok()
        })
        .unwrap_or_else(|| panic!("attachment {name} is in the archive"))
}

/// `pdf` with the stream of attachment `name` replaced by `stream`, saved whole.
pub fn with_attachment(pdf: &[u8], name: &str, stream: Stream) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("parse");
    let id = attachment_stream(&doc, name);
    doc.objects.insert(id, Object::Stream(stream));
    save(&mut doc)
}

/// The 5 GiB bomb: `events.json` as a ~260 KB stream under two Flate filters, the inner one
/// inflating to 5 GiB of zeros.
pub fn events_bomb(pdf: &[u8]) -> Vec<u8> {
    let inner = zlib_zeros(5 * 1024);
    let outer = zlib(&inner);
    let stream = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Filter" => vec![Object::from("FlateDecode"), Object::from("FlateDecode")],
        },
        outer,
    );
    with_attachment(pdf, "events.json", stream)
}

/// `pdf` whose embedded files tree is one node whose `/Kids` name that node `kids` times.
pub fn self_referencing_tree(pdf: &[u8], kids: usize) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("parse");
    let id = doc.new_object_id();
    doc.objects.insert(
        id,
        Object::Dictionary(dictionary! { "Kids" => vec![Object::Reference(id); kids] }),
    );
    let names = doc
        .catalog_mut()
        .and_then(|c| c.get_mut(b"Names"))
        .and_then(Object::as_dict_mut)
        .expect("the catalog's /Names");
    names.set("EmbeddedFiles", id);
    save(&mut doc)
}

/// `pdf` with one more object: an array of `n` references (`1 0 R 1 0 R …`), six bytes each in
/// the file and an object of about 120 bytes each once parsed.
pub fn dense_references(pdf: &[u8], n: usize) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("parse");
    doc.add_object(Object::Array(vec![Object::Reference((1, 0)); n]));
    save(&mut doc)
}

pub fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// Where the signature's `/Contents` hex sits: the gap `[a, b)` of the signature dictionary's
/// ByteRange (the `<` and `>` included).
pub fn signature_gap(pdf: &[u8]) -> (usize, usize) {
    let doc = Document::load_mem(pdf).expect("parse");
    let range = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .find(|d| {
            d.get(b"Type")
                .and_then(Object::as_name)
                .is_ok_and(|t| t == b"Sig")
        })
        .and_then(|d| d.get(b"ByteRange").ok()?.as_array().ok().cloned())
        .expect("a signature dictionary with a ByteRange");
    let n = |i: usize| range[i].as_i64().expect("an integer") as usize;
    (n(1), n(2))
}

/// The CMS in `pdf`'s signature, without its zero padding.
pub fn cms_of(pdf: &[u8]) -> Vec<u8> {
    let (a, b) = signature_gap(pdf);
    let raw = hex::decode(&pdf[a + 1..b - 1]).expect("hex");
    // A DER SEQUENCE with a long-form length: 0x30 0x82 hi lo.
    let len = 4 + ((raw[2] as usize) << 8 | raw[3] as usize);
    raw[..len].to_vec()
}

/// `pdf` with `cms` in its signature's gap, zero-padded to the same length: every signed byte
/// stays as it was.
pub fn with_cms(pdf: &[u8], cms: &[u8]) -> Vec<u8> {
    let (a, b) = signature_gap(pdf);
    let mut hex = hex::encode(cms).into_bytes();
    assert!(hex.len() <= b - a - 2, "the new CMS fits the space kept for it");
    hex.resize(b - a - 2, b'0');
    let mut out = pdf.to_vec();
    out[a + 1..b - 1].copy_from_slice(&hex);
    out
}
