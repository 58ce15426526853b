//! Desktop notifications: an alert's owner sees it on the desktop of the console that is open,
//! through the Freedesktop notification service on the session bus (GNOME Shell, KDE Plasma,
//! dunst, mako and the others all serve it). Errors are text for the log: a desktop without the
//! service still has the window's own alerts panel and the lane's webhook.

/// Shows one notification: its title and its text (never payload data: callers give names and
/// counts).
#[cfg(all(unix, not(target_os = "macos")))]
pub async fn show(summary: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;
    use zbus::zvariant::Value;
    let conn = zbus::Connection::session()
        .await
        .map_err(|e| format!("no desktop session bus: {e}"))?;
    // Urgency 2 (critical): the alerts are the contract's critical ones; a critical
    // notification stays until the person dismisses it.
    let hints: HashMap<&str, Value<'_>> = HashMap::from([("urgency", Value::U8(2))]);
    conn.call_method(
        Some("org.freedesktop.Notifications"),
        "/org/freedesktop/Notifications",
        Some("org.freedesktop.Notifications"),
        "Notify",
        &(
            "Replay Console",
            0u32,
            "dialog-warning",
            summary,
            body,
            Vec::<&str>::new(),
            hints,
            -1i32,
        ),
    )
    .await
    .map_err(|e| format!("the desktop's notification service did not take the notification: {e}"))?;
    Ok(())
}

/// macOS and Windows: not built yet (their notification centres need the app's bundle identity);
/// the window's alerts panel and the webhook still reach the owner there.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub async fn show(_summary: &str, _body: &str) -> Result<(), String> {
    Err("desktop notifications are not built for this OS yet".into())
}
