//! Imports: one row per imported file (source, hash, format, counts), begun at the start of
//! the import's transaction and completed at its end.

use super::on_tx;
use super::Result;

/// Creates the import row at the start of the transaction, so events can reference it.
pub async fn begin(conn: &mut super::Tx<'_>, source_name: &str, format: &str, now: &str) -> Result<i64> {
    on_tx!(conn, |conn, sq| {
        let id: i64 = sqlx::query_scalar(&sq(
            "INSERT INTO imports (source_name, file_sha256, format, records, inserted, unchanged, imported_at)
         VALUES (?, '', ?, 0, 0, 0, ?) RETURNING import_id",
        ))
        .bind(source_name)
        .bind(format)
        .bind(now)
        .fetch_one(conn)
        .await?;
        Ok(id)
    })
}

pub async fn finish(
    conn: &mut super::Tx<'_>,
    import_id: i64,
    file_sha256: &str,
    records: i64,
    inserted: i64,
    unchanged: i64,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE imports SET file_sha256 = ?, records = ?, inserted = ?, unchanged = ? WHERE import_id = ?",
        ))
        .bind(file_sha256)
        .bind(records)
        .bind(inserted)
        .bind(unchanged)
        .bind(import_id)
        .execute(conn)
        .await?;
        Ok(())
    })
}
