import Crypto
import Foundation

/// How a public (unsigned) operation finds its pool and proves it speaks for its app client: the ClientId
/// leads to the pool through the global index, the client record is confirmed under the pool's lock, and a
/// client with a secret must be sent the right SecretHash.
public enum PublicClient {
    /// The pool that `clientId` belongs to, or `ResourceNotFoundException` as AWS words it.
    public static func poolId(of clientId: String, in store: Store) throws -> String {
        guard let poolId = try store.poolId(ofClient: clientId) else { throw AWSError.clientNotFound(clientId) }
        return poolId
    }

    /// Runs `body` with the client's pool locked in `mode`, the client confirmed to still exist.
    public static func withClient<T>(
        _ clientId: String, in store: Store, _ mode: Store.LockMode,
        _ body: (PoolTransaction, UserPoolClientType) throws -> T
    ) throws -> T {
        let poolId = try poolId(of: clientId, in: store)
        do {
            return try store.withPool(poolId, mode) { tx in try body(tx, try tx.client(clientId)) }
        } catch let error as AWSError where error == .poolNotFound(poolId) {
            // The index outlived its pool (deleted meanwhile): to the caller the client is what is missing.
            throw AWSError.clientNotFound(clientId)
        }
    }

    /// Checks `secretHash` for `username` when the client has a secret (AWS-NOTES "SecretHash"). Clients
    /// without a secret ignore whatever is sent, as AWS does.
    public static func checkSecretHash(_ secretHash: String?, username: String, client: UserPoolClientType) throws(AWSError) {
        guard let secret = client.clientSecret, let clientId = client.clientId else { return }
        guard let secretHash, !secretHash.isEmpty else {
            throw AWSError.notAuthorized("Client \(clientId) is configured with secret but SECRET_HASH was not received")
        }
        let expected = Self.secretHash(username: username, clientId: clientId, secret: secret)
        guard constantTimeEquals(Array(secretHash.utf8), Array(expected.utf8)) else {
            throw AWSError.notAuthorized("Unable to verify secret hash for client \(clientId)")
        }
    }

    /// GetTokensFromRefreshToken's proof: the client secret itself, required when the client has one (and
    /// ignored when it has none, as a SECRET_HASH is). The wording is ours: AWS does not document it.
    public static func checkClientSecret(_ given: String?, client: UserPoolClientType) throws(AWSError) {
        guard let secret = client.clientSecret, let clientId = client.clientId else { return }
        guard let given, !given.isEmpty else {
            throw AWSError.notAuthorized("Client \(clientId) is configured with secret but ClientSecret was not received")
        }
        guard constantTimeEquals(Array(given.utf8), Array(secret.utf8)) else {
            throw AWSError.notAuthorized("Unable to verify client secret for client \(clientId)")
        }
    }

    /// Base64(HMAC-SHA256(key: client secret, message: username + clientId)).
    public static func secretHash(username: String, clientId: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array((username + clientId).utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).base64EncodedString()
    }
}
