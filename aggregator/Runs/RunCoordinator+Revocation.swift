import StarlingProtocol

extension RunCoordinator {
    /// An admin revoked `device` (it has left the active devices): every active run stops waiting
    /// for it, as for a device that dropped out. An round still collecting records it as failed
    /// with reason `revoked`, and moves on at once if every other device has answered; a secure
    /// aggregation stops expecting it in the stage being collected, closing the stage if nobody else
    /// is awaited. What the device contributed before its revocation stays in the round.
    func deviceRevoked(_ device: String) async {
        for id in Array(runs.keys) {
            guard let run = runs[id] else { continue }
            if run.machine.admission(of: device) == .accepted {
                let report = ClientFailureReport(reason: .revoked, detail: "an admin revoked the device")
                do {
                    let round = run.machine.secureGroups.group(of: device)?.round ?? run.machine.round
                    try await clientFailed(runId: id, round: round, device: device, report: report)
                } catch {
                    logger.debug(
                        "a revoked device's round had moved on", metadata: ["run": "\(id)", "reason": "\(error)"])
                }
            } else if let (session, secure) = run.sessions.first(where: { $0.value.seat(of: device) != nil }) {
                var remaining = secure
                guard remaining.drop(where: { devices.activeDevice(id: $0) == nil }) else { continue }
                runs[id]?.sessions[session] = remaining
                logger.warning(
                    "a revoked device dropped out of secure aggregation",
                    metadata: ["run": "\(id)", "device": "\(device)"])
                if remaining.stageComplete {
                    await stageAnswered(runID: id, session: session, at: clock())
                }
            }
        }
    }

    /// `secure` no longer expecting, in the stage being collected, any device of its cohort that is
    /// not active any more: a revoked device would otherwise hold each later stage to its deadline.
    func droppingRevoked(_ secure: SecureRound) -> SecureRound {
        var secure = secure
        _ = secure.drop(where: { devices.activeDevice(id: $0) == nil })
        return secure
    }
}
