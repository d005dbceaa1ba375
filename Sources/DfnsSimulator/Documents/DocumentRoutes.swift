import Hummingbird

/// The two routes every document domain has in the same shape, written once: the list of a kind in the caller's
/// organisation and the read of one by the id in the path.
extension DfnsSimulator {
    /// `GET path`: every document of `kind` in the caller's organisation, oldest first, a page at a time.
    func addListRoute(_ api: RouterGroup<SimulatorRequestContext>, _ path: RouterPath, _ kind: DocumentStore.Kind) {
        api.get(path) { [documents] request, context in
            APIResponse(json: try Self.paged(documents.all(kind, orgId: try context.caller().orgId).map(\.json), request))
        }
    }

    /// `GET path`: the document of `kind` whose id is the path's `parameter`; a 404 naming `what` otherwise.
    func addGetRoute(_ api: RouterGroup<SimulatorRequestContext>, _ path: RouterPath, _ kind: DocumentStore.Kind, parameter: String, what: String) {
        api.get(path) { [documents] _, context in
            APIResponse(json: try documents.get(kind, Self.parameter(context, parameter), orgId: context.caller().orgId, what: what).json)
        }
    }
}
