//! The console's own settings of a database (`settings`, key and value): the keychain prefix of
//! a demo database.

use super::on_pool;
use super::Result;

pub async fn get(pool: &super::Pool, key: &str) -> Result<Option<String>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_scalar(&sq("SELECT value FROM settings WHERE key = ?"))
            .bind(key)
            .fetch_optional(pool)
            .await?)
    })
}

pub async fn set(pool: &super::Pool, key: &str, value: &str) -> Result<()> {
    on_pool!(pool, |pool, sq| {
        sqlx::query(&sq(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ))
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
        Ok(())
    })
}
