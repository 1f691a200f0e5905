import Foundation
import Testing

@testable import Handlers

/// An operation that fails the way a bug would: with an error that is not an AWSError.
struct Boom: Handlers.Operation {
    struct Failure: Error {}
    static let name = "Boom"
    static let authorization = Authorization.public
    init(_ services: Services) {}
    func run(_ input: EmptyShape) throws -> EmptyShape { throw Failure() }
}

/// The dispatcher: routing, the two wire protocols, and the AWS error model.
struct ServiceTests {
    func post(_ h: Harness, target: String?, body: String, path: String = "/", method: String = "POST") -> Response {
        var headers = ["Content-Type": "application/x-amz-json-1.1"]
        if let target { headers["X-Amz-Target"] = target }
        return h.service.handle(Request(method: method, path: path, headers: headers, body: Array(body.utf8)))
    }

    func errorType(_ response: Response) -> String? {
        (try? JSON.parse(response.body))?["__type"]?.stringValue
    }

    @Test func errorsCarryAWSHeadersAndShape() throws {
        let h = try Harness()
        let response = post(h, target: Service.targetPrefix + "NoSuchThing", body: "{}")
        #expect(response.status == 400)
        #expect(errorType(response) == "UnknownOperationException")
        #expect(response.header("x-amzn-ErrorType") == "UnknownOperationException:")
        #expect(response.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(UUID(uuidString: response.header("x-amzn-RequestId") ?? "") != nil)
        let body = try JSON.parse(response.body)
        #expect(body["message"]?.stringValue?.isEmpty == false)
    }

    @Test func realButUnimplementedOperationsSaySo() throws {
        let h = try Harness()
        let response = post(h, target: Service.targetPrefix + "CreateGroup", body: "{}")
        #expect(errorType(response) == "UnknownOperationException")
        #expect((try JSON.parse(response.body))["message"] == "Operation CreateGroup is not supported by this service.")
    }

    @Test func malformedOrNonObjectBodiesAreSerializationErrors() throws {
        let h = try Harness()
        for body in ["{", "[]", "\"x\"", "{\"a\":1,\"a\":2}", "{\"PoolName\":\"\\ud800\"}"] {
            let response = post(h, target: Service.targetPrefix + "CreateUserPool", body: body)
            #expect(response.status == 400, "\(body)")
            #expect(errorType(response) == "SerializationException", "\(body)")
        }
        #expect(try h.store.poolIds().isEmpty)
    }

    @Test func emptyBodyIsAnEmptyObject() throws {
        let h = try Harness()
        let response = post(h, target: Service.targetPrefix + "ListUserPools", body: "")
        #expect(errorType(response) == "InvalidParameterException")
    }

    @Test func missingTargetAndActionIsUnknownOperation() throws {
        let h = try Harness()
        #expect(errorType(post(h, target: nil, body: "{}")) == "UnknownOperationException")
        let get = h.service.handle(Request(method: "GET", path: "/"))
        #expect(errorType(get) == "UnknownOperationException")
        #expect(get.header("Content-Type") == "application/json")
    }

    @Test func jsonProtocolNeedsPost() throws {
        let h = try Harness()
        let response = post(h, target: Service.targetPrefix + "ListUserPools", body: "", method: "GET")
        #expect(errorType(response) == "UnknownOperationException")
    }

    @Test func operationsLiveAtTheRootOnly() throws {
        let h = try Harness()
        let response = post(h, target: Service.targetPrefix + "ListUserPools", body: "{\"MaxResults\":1}", path: "/other")
        #expect(response.status == 404)
        #expect(errorType(response) == "NotFoundException")
    }

    @Test func oversizedBodiesAreRefused() throws {
        let h = try Harness { $0.maxBodyBytes = 16 }
        let response = post(h, target: Service.targetPrefix + "CreateUserPool", body: "{\"PoolName\":\"0123456789abcdef\"}")
        #expect(response.status == 413)
        #expect(errorType(response) == "RequestEntityTooLargeException")
        #expect(try h.store.poolIds().isEmpty)
    }

    @Test func formEncodedPostIsTheQueryForm() throws {
        let h = try Harness()
        let request = Request(
            method: "POST", path: "/", headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Array("Action=CreateUserPool&PoolName=form".utf8))
        let response = h.service.handle(request)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect((try JSON.parse(response.body))["UserPool"]?["Name"] == "form")
    }

    @Test func unexpectedFailuresAreInternalErrorsWithoutDetails() throws {
        let h = try Harness()
        let service = Service(services: h.services, authenticator: AllowAll(), operations: ["Boom": OperationEntry(Boom.self)])
        let response = service.handle(
            Request(method: "POST", path: "/", headers: ["X-Amz-Target": Service.targetPrefix + "Boom"], body: Array("{}".utf8)))
        #expect(response.status == 500)
        #expect(errorType(response) == "InternalErrorException")
        #expect(!response.bodyString.contains("Failure"))
    }
}
