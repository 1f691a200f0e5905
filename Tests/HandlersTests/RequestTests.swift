import Foundation
import Testing

@testable import Handlers

/// Header names: lower-cased once, by the general init, and found in any case by `header(_:)`.
struct RequestTests {
    @Test func headerIsFoundInAnyCase() {
        let request = Request(
            method: "POST", path: "/", headers: ["X-Amz-Target": "T", "content-type": "C", "ÉTAT": "E"])
        #expect(request.headers.keys.sorted() == ["content-type", "x-amz-target", "état"])
        for name in ["x-amz-target", "X-Amz-Target", "X-AMZ-TARGET", "x-amz-TARGET"] {
            #expect(request.header(name) == "T", "\(name)")
        }
        #expect(request.header("Content-Type") == "C")
        // A non-ASCII upper-case letter is still lower-cased, as before.
        #expect(request.header("ÉTAT") == "E")
        #expect(request.header("état") == "E")
        #expect(request.header("x-amz-date") == nil)
        #expect(request.header("") == nil)
    }

    @Test func lowercasedHeadersAreTakenAsTheyAre() {
        let request = Request(
            method: "GET", path: "/p", query: "a=1", lowercasedHeaders: ["x-amz-target": "T", "host": "h"],
            body: [1, 2])
        #expect(request.headers == ["x-amz-target": "T", "host": "h"])
        #expect(request.header("X-Amz-Target") == "T")
        #expect(request.header("HOST") == "h")
        #expect(request.method == "GET" && request.path == "/p" && request.query == "a=1" && request.body == [1, 2])
        // Both inits agree whenever the precondition holds.
        let general = Request(method: "GET", path: "/p", query: "a=1", headers: request.headers, body: [1, 2])
        #expect(general.headers == request.headers)
    }
}
