import DfnsSDK
import Foundation
import HTTPTypes
import Hummingbird

/// A request the app refuses or could not carry out, answered `{"error": message}` with its status. Messages say
/// what is wrong and never carry a token.
struct AppProblem: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Dfns's refusal of `what`, with Dfns's status when it is the user's or the request's fault (400, 401, 403,
    /// 404, 409), else 502: Dfns could not be reached or failed.
    init(_ error: DfnsError, doing what: String) {
        let passed: Set<Int> = [400, 401, 403, 404, 409]
        if let status = error.httpStatus, passed.contains(status) {
            self.init(HTTPResponse.Status(code: status), "Dfns refused to \(what): \(error.message)")
        } else {
            self.init(.badGateway, "Dfns could not \(what) (\(error.code)): \(error.message)")
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try Response.json(["error": message], status: status)
    }
}
