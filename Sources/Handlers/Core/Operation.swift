import Foundation

/// How a caller proves it may invoke an operation; the split is botocore's (`authtype: none` → public).
public enum Authorization: Sendable {
    /// An IAM operation: needs a valid AWS Signature Version 4.
    case iam
    /// A public operation: identified by ClientId (+ SecretHash) or an AccessToken inside the input.
    case `public`
}

/// One AWS operation: a stateless value built from the services it needs.
public protocol Operation: Sendable {
    associatedtype Input: Shape
    associatedtype Output: Shape
    /// The AWS operation name, e.g. `UpdateUserPoolClient`.
    static var name: String { get }
    static var authorization: Authorization { get }
    init(_ services: Services)
    func run(_ input: Input) throws -> Output
}

/// A type-erased operation as the registry holds it.
public struct OperationEntry: Sendable {
    public let name: String
    public let authorization: Authorization
    public let inputSchema: Schema
    let invoke: @Sendable (JSON, Services) throws -> JSON

    public init<O: Operation>(_ type: O.Type) {
        name = O.name
        authorization = O.authorization
        inputSchema = O.Input.schema
        invoke = { json, services in
            let input = try O.Input(json: json)
            return try O(services).run(input).toJSON()
        }
    }
}
