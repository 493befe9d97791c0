import StarlingProtocol

/// The registry: every model with its newest versions, each version's lineage (the version it was
/// trained from, the run and round that made it, the ε it was made under), its metrics, digest and
/// signature, and the aliases that name it.
enum ModelsPage {
    /// How many of a model's newest versions the page lists.
    static let versionLimit = 20

    /// One model as the page shows it.
    struct Entry: Sendable {
        let model: ModelInfo
        /// Newest first, at most ``versionLimit``.
        let versions: [ModelVersionInfo]
        let aliases: [ModelAlias]
    }

    static func render(_ entries: [Entry]) -> HTML {
        guard !entries.isEmpty else { return "<p class=\"muted\">The registry holds no model yet.</p>" }
        return HTML(joining: entries.map(section))
    }

    private static func section(_ entry: Entry) -> HTML {
        let labels = entry.model.labels.joined(separator: ", ")
        let rows = HTML(joining: entry.versions.map { row($0, aliases: entry.aliases) })
        return """
            <h2>\(entry.model.name)</h2>
            <p>\(entry.model.architecture) · labels: \(labels.isEmpty ? "—" : labels) · \
            confidence threshold \(DashboardLayout.number(entry.model.confidenceThreshold, digits: 2)) · \
            \(entry.model.latestVersion) versions</p>
            <table><thead><tr><th>Version</th><th>Aliases</th><th>Source</th><th>Parent</th><th>Made by</th>\
            <th>ε</th><th>Accuracy</th><th>Loss</th><th>SHA-256</th><th>Signature</th><th>Created</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    private static func row(_ version: ModelVersionInfo, aliases: [ModelAlias]) -> HTML {
        let lineage = version.lineage
        let names = aliases.filter { $0.version == version.version }.map(\.alias)
        let aliasTags = HTML(joining: names.map { name -> HTML in "<span class=\"tag\">\(name)</span>" })
        let madeBy: HTML =
            lineage.runId.map { id -> HTML in
                "<code>\(id)</code> round \(lineage.round ?? 0), \(lineage.cohortSize ?? 0) devices"
            } ?? "—"
        let epsilon =
            lineage.privacy.map { "\(DashboardLayout.number($0.epsilon, digits: 2)) (\($0.mode.rawValue))" } ?? "—"
        let accuracy = version.evaluation?.figures.accuracy ?? version.metrics.evalAccuracy
        return """
            <tr><td>\(version.version)</td><td>\(aliasTags)</td><td>\(version.source.rawValue)</td>\
            <td>\(lineage.parentVersion.map(String.init) ?? "—")</td><td>\(madeBy)</td><td>\(epsilon)</td>\
            <td>\(DashboardLayout.number(accuracy))</td><td>\(DashboardLayout.number(version.metrics.trainLoss))</td>\
            <td><code title="\(version.sha256)">\(String(version.sha256.prefix(12)))…</code></td>\
            <td><code title="\(version.signature)">\(String(version.signature.prefix(12)))…</code></td>\
            <td>\(DashboardLayout.time(version.createdAt))</td></tr>
            """
    }
}
