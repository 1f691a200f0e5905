import Foundation
import Logging

/// Checks that a request may call an IAM operation (SigV4); the production one is `SigV4Verifier`.
public protocol RequestAuthenticator: Sendable {
    func authenticate(_ request: Request, now: Date) throws(AWSError)
}

/// The whole service as the front end sees it: one pure function from `Request` to `Response`.
///
/// Decodes either wire protocol into the operation's input JSON, authorizes, validates against the model,
/// runs the operation, and encodes the output or the error. No libfcgi, no globals.
public struct Service: Sendable {
    public static let targetPrefix = "AWSCognitoIdentityProviderService."

    public let services: Services
    let authenticator: any RequestAuthenticator
    let operations: [String: OperationEntry]

    public init(services: Services, authenticator: any RequestAuthenticator, operations: [String: OperationEntry] = Registry.operations) {
        self.services = services
        self.authenticator = authenticator
        self.operations = operations
    }

    /// What one request did, for the access log.
    public struct Outcome: Sendable {
        public var requestId: String
        public var operation: String?
        public var status: Int
        public var errorType: String?
    }

    public func handle(_ request: Request) -> Response {
        handleWithOutcome(request).0
    }

    public func handleWithOutcome(_ request: Request) -> (Response, Outcome) {
        let requestId = services.random.uuid()
        var outcome = Outcome(requestId: requestId, operation: nil, status: 200, errorType: nil)
        let wire = Self.wire(of: request)
        // Discovery documents (GET /<poolId>/.well-known/...) are not operations: answered before dispatch.
        if case let (response, errorType)? = Discovery.handle(request, services: services, requestId: requestId) {
            outcome.operation = "Discovery"
            outcome.status = response.status
            outcome.errorType = errorType
            return (response, outcome)
        }
        let response: Response
        do {
            let call = try decodeCall(request)
            outcome.operation = call.entry.name
            if call.entry.authorization == .iam {
                try authenticator.authenticate(request, now: services.clock.now())
            }
            let input = try call.input()
            try call.entry.inputSchema.validate(input)
            let output = try call.entry.invoke(input, services)
            response = Self.success(output, wire: wire, requestId: requestId)
        } catch let error as AWSError {
            response = Self.failure(error, wire: wire, requestId: requestId)
            outcome.errorType = error.code.rawValue
        } catch {
            services.logger.error(
                "internal error", metadata: ["requestId": "\(requestId)", "operation": "\(outcome.operation ?? "-")", "error": "\(error)"])
            response = Self.failure(.internalError, wire: wire, requestId: requestId)
            outcome.errorType = AWSError.Code.internalError.rawValue
        }
        outcome.status = response.status
        return (response, outcome)
    }

    /// The answer to a request whose declared body is over the cap; the front end calls this without reading
    /// the body at all.
    public func refuseOversizedBody(_ request: Request) -> (Response, Outcome) {
        let requestId = services.random.uuid()
        let error = AWSError(.requestEntityTooLarge, "Request body is larger than \(services.config.maxBodyBytes) bytes.")
        let response = Self.failure(error, wire: Self.wire(of: request), requestId: requestId)
        return (response, Outcome(requestId: requestId, operation: nil, status: response.status, errorType: error.code.rawValue))
    }

    // MARK: Decoding the wire protocols

    enum Wire {
        /// AWS JSON 1.1: `POST /` with `X-Amz-Target`.
        case json
        /// The seed's query form: `GET /?Action=...` or a form-encoded `POST`.
        case query
    }

    static func wire(of request: Request) -> Wire {
        request.header("x-amz-target") == nil ? .query : .json
    }

    struct Call {
        let entry: OperationEntry
        let input: () throws -> JSON
    }

    func decodeCall(_ request: Request) throws -> Call {
        // Operations live at the root, as on AWS's endpoint; any other path is not this API.
        guard request.path == "/" else {
            throw AWSError(.notFound, "No resource at \(request.path.prefix(256)).")
        }
        if request.body.count > services.config.maxBodyBytes {
            throw AWSError(.requestEntityTooLarge, "Request body is larger than \(services.config.maxBodyBytes) bytes.")
        }
        if let target = request.header("x-amz-target") {
            guard request.method == "POST" else {
                throw AWSError(.unknownOperation, "The JSON protocol needs POST; use GET only with Action=.")
            }
            let entry = try lookup(target.hasPrefix(Self.targetPrefix) ? String(target.dropFirst(Self.targetPrefix.count)) : nil, raw: target)
            let body = request.body
            return Call(entry: entry) { try Self.parseBody(body) }
        }
        var params = QueryForm.parse(request.query)
        if request.method == "POST",
            (request.header("content-type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded")
        {
            params += QueryForm.parse(String(decoding: request.body, as: UTF8.self))
        }
        guard request.method == "GET" || request.method == "POST" else {
            throw AWSError(.unknownOperation, "Method \(request.method) is not supported.")
        }
        let action = params.first { $0.0 == "Action" }?.1
        guard let action else {
            throw AWSError(.unknownOperation, "Missing X-Amz-Target header or Action parameter.")
        }
        let entry = try lookup(action, raw: action)
        return Call(entry: entry) {
            try QueryForm.json(from: params, schema: entry.inputSchema)
        }
    }

    /// The JSON protocol's body: one JSON object (an empty body counts as `{}`, as AWS takes it).
    static func parseBody(_ body: [UInt8]) throws(AWSError) -> JSON {
        if body.isEmpty { return .object([:]) }
        let json: JSON
        do {
            json = try JSON.parse(body)
        } catch {
            throw AWSError(.serialization, "The request body is not valid JSON: \(error.message).")
        }
        guard case .object = json else {
            throw AWSError(.serialization, "Expected a JSON object as the request body; found \(json.typeName).")
        }
        return json
    }

    func lookup(_ name: String?, raw: String) throws -> OperationEntry {
        guard let name, let entry = operations[name] else {
            if let name, OperationModel.allOperations.contains(name) {
                throw AWSError(.unknownOperation, "Operation \(name) is not supported by this service.")
            }
            throw AWSError(.unknownOperation, "Unknown operation \(raw.prefix(128)).")
        }
        return entry
    }

    // MARK: Encoding responses

    static func contentType(_ wire: Wire) -> String {
        wire == .json ? "application/x-amz-json-1.1" : "application/json"
    }

    static func success(_ output: JSON, wire: Wire, requestId: String) -> Response {
        Response(
            status: 200,
            headers: [("Content-Type", contentType(wire)), ("x-amzn-RequestId", requestId)],
            body: output.serialized())
    }

    static func failure(_ error: AWSError, wire: Wire, requestId: String) -> Response {
        let body = JSON.object(["__type": .string(error.code.rawValue), "message": .string(error.message)])
        return Response(
            status: error.httpStatus,
            headers: [
                ("Content-Type", contentType(wire)),
                ("x-amzn-RequestId", requestId),
                ("x-amzn-ErrorType", error.code.rawValue + ":"),
                ("x-amzn-ErrorMessage", headerSafe(error.message)),
            ],
            body: body.serialized())
    }

    /// A header value cannot carry CR/LF or non-ASCII safely, nor be long (nginx refuses a response whose headers
    /// pass `fastcgi_buffer_size`, 4 KiB, with a 502); the body has the exact message.
    static func headerSafe(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(1024).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? $0 : "?" }))
    }
}
