import Foundation

extension Service {
    /// The service as a deployment runs it: IAM operations verified by SigV4 against
    /// `<data>/credentials.json` (or, only when configured, the any-signature emulator mode).
    public static func production(_ services: Services) throws -> Service {
        let credentials = CredentialsFile(dataDirectory: services.config.dataDirectory, logger: services.logger)
        let verifier = SigV4Verifier(credentials: credentials, mode: services.config.authMode)
        return Service(services: services, authenticator: verifier)
    }
}
