//! The PDF/A-3b file around the laid-out pages: its configuration and metadata, the record's
//! attachments embedded (the manifest last), and every page drawn with its footer.
//!
//! Owns the krilla `Document`; what the pages say belongs to the other parts of `render`, where
//! it sits on them to `layout`.

use krilla::configure::ConfigurationBuilder;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::layout::{self, Fonts, Pages};
use crate::record::{Attachment, Record};

/// The finished, unsigned file: `pages` drawn, `svgs` the charts they place.
pub(super) fn write(
    record: &Record,
    pages: &Pages,
    fonts: &Fonts,
    svgs: &[usvg::Tree],
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let config = ConfigurationBuilder::new()
        .with_archival_validator(krilla::configure::Archival::A3_B)
        .finish()
        .map_err(|e| Error::Pdf(format!("PDF/A-3b configuration: {e:?}")))?;
    let settings = SerializeSettings {
        configuration: config,
        ..Default::default()
    };
    let mut doc = Document::new_with(settings);
    let date = pdf_date(now);
    doc.set_metadata(
        Metadata::new()
            .title(title(record))
            .creator("Flightdeck".into())
            .language("en".into())
            .creation_date(date)
            .document_id(record.manifest.archive_id.clone()),
    );
    let manifest = record.manifest_attachment();
    for a in record.attachments.iter().chain(std::iter::once(&manifest)) {
        embed(&mut doc, a, date)?;
    }
    let left = match &record.manifest.watch_report_of {
        Some(tie) => format!(
            "Flightdeck D0–D7 watch report {} · archive {}",
            record.manifest.archive_id, tie.archive_id
        ),
        None => format!(
            "Flightdeck archive {} · release {}",
            record.manifest.archive_id, record.run.record.release
        ),
    };
    let footer = move |i: usize, n: usize| (left.clone(), format!("Page {i} of {n}"));
    layout::draw(&mut doc, &pages.pages, fonts, &pages.metrics, svgs, &footer)
        .ok_or_else(|| Error::Pdf("a page could not be drawn".into()))?;
    doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

/// The document's title metadata: the runbook's title, the release and the environment.
fn title(record: &Record) -> String {
    let what = if record.manifest.watch_report_of.is_some() {
        "D0–D7 watch report"
    } else {
        "Cutover record"
    };
    format!(
        "{what}: {} {} ({})",
        record
            .run
            .state
            .runbook_title
            .clone()
            .unwrap_or_else(|| record.run.record.runbook_name.clone()),
        record.run.record.release,
        record.run.record.env
    )
}

fn embed(doc: &mut Document, a: &Attachment, date: DateTime) -> Result<()> {
    // What `verify` accepts, so that no archive is written that an unpacking tool would write
    // outside its folder.
    crate::verify::plain_name(&a.name).map_err(|why| {
        Error::Pdf(format!(
            "attachment name {:?} is not a plain relative name ({why})",
            a.name
        ))
    })?;
    let kind = match a.name.as_str() {
        crate::record::RUNBOOK_FILE => AssociationKind::Source,
        crate::record::EVENTS_FILE | crate::record::MANIFEST_FILE => AssociationKind::Data,
        _ => AssociationKind::Supplement,
    };
    doc.embed_file(EmbeddedFile {
        path: a.name.clone(),
        mime_type: MimeType::new(a.mime),
        description: Some(format!("{} (sha256 {})", a.description, a.sha256)),
        association_kind: kind,
        data: a.data.clone().into(),
        modification_date: Some(date),
        compress: Some(true),
        location: None,
    })
    .ok_or_else(|| Error::Pdf(format!("attachment {} is embedded twice", a.name)))
}

fn pdf_date(t: OffsetDateTime) -> DateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    DateTime::new(t.year().clamp(0, 9999) as u16)
        .month(u8::from(t.month()))
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
