import StarlingProtocol

/// The fleet: every enrolled device, whether it is online, its tags, the version it runs and when
/// it was last seen; revoked devices last, with the reason.
enum FleetPage {
    static func render(_ list: DeviceList) -> HTML {
        let online = list.devices.filter(\.online).count
        let revoked = list.devices.filter { $0.revokedAt != nil }.count
        let rows = HTML(joining: list.devices.map(row))
        let table: HTML =
            list.devices.isEmpty
            ? "<p class=\"muted\">No device has enrolled yet.</p>"
            : """
            <table><thead><tr><th>Device</th><th>State</th><th>Tags</th><th>Running</th><th>Last seen</th>\
            <th>Samples</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        return """
            <p>\(list.devices.count) devices: \(online) online, \(revoked) revoked.</p>
            \(table)
            """
    }

    private static func row(_ device: DeviceInfo) -> HTML {
        let state: HTML
        if let revokedAt = device.revokedAt {
            state = """
                <span class="bad">revoked</span> <span class="muted">\(DashboardLayout.time(revokedAt))\
                \(device.revocationReason.map { ": " + $0 } ?? "")</span>
                """
        } else {
            state = device.online ? "<span class=\"ok\">● online</span>" : "<span class=\"muted\">○ offline</span>"
        }
        let tags = HTML(joining: device.tags.map { tag -> HTML in "<span class=\"tag\">\(tag.description)</span>" })
        return """
            <tr><td><code>\(device.id)</code></td><td>\(state)</td><td>\(tags)</td>\
            <td>\(device.runningModel ?? "—")</td><td>\(DashboardLayout.time(device.lastSeen))</td>\
            <td>\(device.sampleCount)</td></tr>
            """
    }
}
