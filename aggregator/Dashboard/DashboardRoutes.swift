import Hummingbird
import StarlingProtocol

/// The web dashboard under `/ui` on the public listener: sign-in, the fleet, runs, models and
/// rollouts pages, and the rollout buttons.
///
/// Pages read the same components the admin API reads, and check the caller's role against the
/// admin route that reads the same data (``AdminEndpoint``). A button posts a form to a `/ui`
/// action, which checks the CSRF token and then runs the admin route's own handler through an
/// ``AdminGate``, so the role check and the audit record are the API's.
enum DashboardRoutes {
    static func add(to router: Router<AggregatorRequestContext>, _ components: Components) {
        let sessions = components.dashboardSessions
        let errors = DashboardErrorMiddleware()
        router.get(RouterPath(DashboardPath.style)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardStyle.css)))
        }
        let signIn = router.group(RouterPath(DashboardPath.signIn)).add(middleware: errors)
        signIn.get { _, _ in DashboardResponse.page(SignInPage.render()) }
        signIn.post { request, _ in try await DashboardSignIn.answer(request, components) }

        let pages = router.group(RouterPath(DashboardPath.root)).add(middleware: errors)
            .add(middleware: DashboardSessionMiddleware(sessions: sessions, tokens: components.adminTokens))
        pages.get { _, context in try await fleet(context, components) }
        pages.get("runs") { _, context in try await runs(context, components) }
        pages.get("models") { _, context in try await models(context, components) }
        pages.get("rollouts") { _, context in try await rollouts(context, components) }
        pages.get("rollouts/:id") { _, context in try await rollout(context, components) }
        pages.post("sign-out") { request, context in
            let form = try DashboardForms.decode(CSRFForm.self, from: try await DashboardForms.body(of: request))
            try DashboardForms.check(form.csrf, of: context.dashboardSession, request: request)
            if let id = DashboardCookie.sessionID(of: request) { try await sessions.close(id: id) }
            return DashboardResponse.redirect(to: DashboardPath.signIn, clearingSession: true)
        }
        let steer = AdminGate(
            endpoint: .steerDeployment, audit: components.audit,
            handler: AdminRoutes.handler(.steerDeployment, components))
        pages.post("rollouts/:id/:action") { request, context in
            let form = try DashboardForms.decode(CSRFForm.self, from: try await DashboardForms.body(of: request))
            try DashboardForms.check(form.csrf, of: context.dashboardSession, request: request)
            _ = try await steer.respond(request, context)
            return DashboardResponse.redirect(to: DashboardPath.rollouts)
        }
    }

    private static func fleet(
        _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let caller = try require(.listDevices, context)
        return page("Fleet", DashboardPath.fleet, caller, context, FleetPage.render(components.devices.list()))
    }

    private static func runs(
        _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let caller = try require(.showRun, context)
        var runs: [RunInfo] = []
        for id in try await components.runStore.recentIDs(limit: RunsPage.limit) {
            runs.append(try await components.runStore.info(id: id))
        }
        return page(
            "Runs", DashboardPath.runs, caller, context, RunsPage.render(runs),
            refresh: RunsPage.isLive(runs) ? RunsPage.refreshSeconds : nil)
    }

    private static func models(
        _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let caller = try require(.listVersions, context)
        var entries: [ModelsPage.Entry] = []
        for model in try await components.catalog.models().models {
            let versions = try await components.catalog.versions(of: model.name).versions
            let evaluations = try await components.evaluations.latest(model: model.name)
            var newest = Array(versions.suffix(ModelsPage.versionLimit).reversed())
            for index in newest.indices { newest[index].evaluation = evaluations[newest[index].version] }
            let aliases = try await components.aliases.list(model: model.name).aliases
            entries.append(ModelsPage.Entry(model: model, versions: newest, aliases: aliases))
        }
        return page("Models", DashboardPath.models, caller, context, ModelsPage.render(entries))
    }

    private static func rollouts(
        _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let caller = try require(.showDeployment, context)
        let deployments = await components.rollouts.recent(limit: RolloutsPage.limit)
        let canSteer = caller.role >= AdminEndpoint.steerDeployment.route.role
        let content = RolloutsPage.render(
            deployments, canSteer: canSteer, csrfToken: context.dashboardSession?.csrfToken ?? "")
        return page(
            "Rollouts", DashboardPath.rollouts, caller, context, content,
            refresh: RolloutsPage.isLive(deployments) ? RolloutsPage.refreshSeconds : nil)
    }

    private static func rollout(
        _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let caller = try require(.listDeploymentEvents, context)
        let id = try context.parameters.require("id")
        let deployment = try await components.rollouts.info(id: id)
        let events = try await components.rollouts.events(id: id)
        let content = RolloutPage.render(
            deployment, events: events, canSteer: caller.role >= AdminEndpoint.steerDeployment.route.role,
            csrfToken: context.dashboardSession?.csrfToken ?? "")
        return page(
            "Rollout \(deployment.id)", DashboardPath.rollouts, caller, context, content,
            refresh: RolloutsPage.isLive([deployment]) ? RolloutsPage.refreshSeconds : nil)
    }

    /// The caller, if its role may call `endpoint`, whose data the page shows; 403
    /// `insufficient_role` otherwise.
    private static func require(
        _ endpoint: AdminEndpoint, _ context: AggregatorRequestContext
    ) throws(APIError) -> AdminPrincipal {
        guard let caller = context.admin else { throw APIError.unauthorized }
        guard caller.role >= endpoint.route.role else {
            throw APIError.insufficientRole(caller.role, needs: endpoint.route.role)
        }
        return caller
    }

    private static func page(
        _ title: String, _ path: String, _ caller: AdminPrincipal, _ context: AggregatorRequestContext,
        _ content: HTML, refresh: Int? = nil
    ) -> Response {
        DashboardResponse.page(
            DashboardLayout.page(
                title, at: path, caller: caller, csrfToken: context.dashboardSession?.csrfToken ?? "",
                refresh: refresh, content))
    }
}
