import ArgumentParser
import Foundation
import Handlers
import Logging

#if canImport(Glibc)
import Glibc
#endif

@main
struct CognitoFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cognito-fcgi",
        abstract: "A self-hosted Amazon Cognito user-pool service (cognito-idp) served over FastCGI.",
        subcommands: [Serve.self, Keys.self]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests.")

    @Option(help: "The data folder (created 0700 if missing).")
    var data: String

    @Option(help: "Unix socket to listen on. Without it, the listening socket is inherited as fd 0 (spawn-fcgi) or from systemd (LISTEN_FDS).")
    var socket: String?

    @Option(name: .customLong("socket-mode"), help: "Permissions of the unix socket, octal.")
    var socketMode: String = "0660"

    @Option(help: "Accept threads per process.")
    var threads: Int = 8

    @Option(help: "Worker processes sharing the socket (a supervisor restarts any that die).")
    var processes: Int = 1

    @Option(help: "IAM authorization: sigv4 (verify signatures) or any-signature (emulator mode).")
    var auth: String = "sigv4"

    @Option(help: "Base URL of token issuers; the pool id is appended.")
    var issuer: String = "http://127.0.0.1:8080"

    @Option(help: "Region used in new pool ids.")
    var region: String = "us-east-1"

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, in bytes.")
    var maxBody: Int = 1 << 20

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .customLong("worker"), help: .hidden)
    var isChildWorker = false

    func validate() throws {
        guard AuthMode(rawValue: auth) != nil else { throw ValidationError("--auth must be sigv4 or any-signature") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard mode_t(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard (1...256).contains(threads), (1...256).contains(processes) else {
            throw ValidationError("--threads and --processes must be between 1 and 256")
        }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
    }

    func run() throws {
        umask(0o077)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cognito-fcgi")
        let authMode = AuthMode(rawValue: auth) ?? .sigv4
        if authMode == .anySignature {
            logger.warning("--auth any-signature: IAM operations accept any well-formed signature (emulator mode)")
        }

        let listenFD: Int32
        if let socket {
            listenFD = try Listener.bind(path: socket, mode: mode_t(socketMode, radix: 8) ?? 0o660)
        } else {
            listenFD = Listener.inherited()
        }

        if processes > 1 && !isChildWorker {
            try Supervisor(listenFD: listenFD, count: processes, arguments: childArguments(), logger: logger).run()
            if let socket { unlink(socket) }
            return
        }

        let config = Config(
            dataDirectory: URL(fileURLWithPath: data), region: region, issuerBaseURL: issuer, authMode: authMode,
            maxBodyBytes: maxBody)
        let store = try Store(root: data)
        let services = Services(config: config, store: store, logger: logger)
        let service = try Service.production(services)
        logger.info("serving", metadata: ["pid": "\(getpid())", "threads": "\(threads)"])
        FastCGIServer(listenFD: listenFD, service: service, maxBodyBytes: maxBody, logger: logger).run(threads: threads)
        if let socket, !isChildWorker { unlink(socket) }
    }

    /// The arguments a child worker gets: the same settings, the socket inherited as fd 0.
    func childArguments() -> [String] {
        [
            "serve", "--worker", "--data", data, "--threads", String(threads), "--auth", auth, "--issuer", issuer,
            "--region", region, "--max-body", String(maxBody), "--log-level", logLevel,
        ]
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the IAM access keys that sign requests to IAM operations.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an access key pair and print it once.")

        @Option(help: "The data folder.")
        var data: String

        @Option(name: .customLong("aws-credentials"), help: "Also write the pair as an AWS shared-credentials file (profile default).")
        var awsCredentials: String?

        func run() throws {
            umask(0o077)
            _ = try Store(root: data)
            let key = try CredentialsFile(dataDirectory: URL(fileURLWithPath: data)).create(random: SystemRandom(), now: Date())
            print("AccessKeyId: \(key.accessKeyId)")
            print("SecretAccessKey: \(key.secretAccessKey)")
            if let awsCredentials {
                let text = "[default]\naws_access_key_id = \(key.accessKeyId)\naws_secret_access_key = \(key.secretAccessKey)\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: awsCredentials), options: .atomic)
                chmod(awsCredentials, 0o600)
            }
        }
    }
}
