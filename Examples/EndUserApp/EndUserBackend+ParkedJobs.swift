import DfnsSDK
import Hummingbird
import Logging

/// The JSON API of the jobs dfns-worker carries out for the logged-in user (``ParkedJobs``), behind the same
/// same-origin guard and session cookie as the rest: queue one, list them (with the challenge of each one waiting for
/// the user), sign one. Off (503) when the app runs without `DATABASE_URL`.
extension EndUserBackend {
    private struct JobForm: Decodable {
        let kind: String
        let payload: JSONValue
    }

    func registerParkedJobs(on api: RouterGroup<BasicRequestContext>) {
        api.get("jobs") { request, _ in
            let (_, user) = try signedIn(request)
            return try Response.json(["items": try await parkedJobs().jobs(of: user.id)])
        }
        api.post("jobs") { request, context in
            let form = try await request.decode(as: JobForm.self, context: context)
            let (_, user) = try signedIn(request)
            let id = try await parkedJobs().enqueue(form.kind, payload: form.payload, for: user.id)
            logger.info("job queued for the end user", metadata: ["user.id": "\(user.id)", "job.id": "\(id)", "job.kind": "\(form.kind)"])
            return try Response.json(["id": id])
        }
        api.post("jobs/:id/signature") { request, context in
            let assertion = try await request.decode(as: BrowserAssertion.self, context: context)
            let (_, user) = try signedIn(request)
            guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw AppProblem(.notFound, "a job's id is a number") }
            try await parkedJobs().sign(id, by: user.id, assertion)
            logger.info("signature handed to the worker", metadata: ["user.id": "\(user.id)", "job.id": "\(id)"])
            return try Response.json(["id": id])
        }
    }

    private func parkedJobs() throws(AppProblem) -> ParkedJobs {
        guard let jobs else { throw AppProblem(.serviceUnavailable, "jobs carried out by the worker are off: the app runs without DATABASE_URL") }
        return jobs
    }
}
