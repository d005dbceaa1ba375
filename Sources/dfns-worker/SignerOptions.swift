import ArgumentParser
import DfnsPKCS11
import DfnsSDK
import Foundation

/// Where the worker's credential key lives (`DFNS_SIGNER`): a PEM file or variable (`pem`, the default), or a PKCS#11
/// token (`pkcs11`), where the key never leaves the token. Secrets (a PEM, a PIN) come from the environment or files
/// only, never from flags, which `ps` shows.
struct SignerOptions: ParsableArguments {
    @Option(help: "Where the credential's key lives: pem or pkcs11 (default: $DFNS_SIGNER or pem).") var dfnsSigner: String?
    @Option(help: "PEM private key file (default: $DFNS_PRIVATE_KEY_FILE; or the PEM text in $DFNS_PRIVATE_KEY).") var dfnsPrivateKeyFile: String?
    @Option(help: "PKCS#11 module path (default: $DFNS_PKCS11_MODULE), e.g. /usr/lib/softhsm/libsofthsm2.so.") var dfnsPkcs11Module: String?
    @Option(help: "PKCS#11 token label (default: $DFNS_PKCS11_TOKEN).") var dfnsPkcs11Token: String?
    @Option(help: "PKCS#11 slot id, instead of a token label (default: $DFNS_PKCS11_SLOT).") var dfnsPkcs11Slot: UInt?
    @Option(help: "Label of the private key in the token (default: $DFNS_PKCS11_KEY).") var dfnsPkcs11Key: String?
    @Option(help: "CKA_ID of the private key in hexadecimal, instead of a label (default: $DFNS_PKCS11_KEY_ID).") var dfnsPkcs11KeyId: String?
    @Option(help: "File holding the token's user PIN (default: $DFNS_PKCS11_PIN_FILE; or the PIN in $DFNS_PKCS11_PIN).") var dfnsPkcs11PinFile:
        String?

    /// The signer of `credentialId`, loaded now: a key that cannot be used stops the command before any job is claimed.
    func signer(credentialId: String) throws -> any CredentialSigner {
        let environment = ProcessInfo.processInfo.environment
        switch dfnsSigner ?? environment["DFNS_SIGNER"].flatMap({ $0.isEmpty ? nil : $0 }) ?? "pem" {
        case "pem":
            return try pemSigner(credentialId: credentialId, environment)
        case "pkcs11":
            do {
                return try PKCS11Signer(try pkcs11(credentialId: credentialId, environment))
            } catch let error as PKCS11Error {
                throw ValidationError("DFNS_SIGNER=pkcs11: \(error)")
            }
        case let other:
            throw ValidationError("DFNS_SIGNER must be pem or pkcs11, not \(other.prefix(40))")
        }
    }

    private func pemSigner(credentialId: String, _ environment: [String: String]) throws -> KeySigner {
        let passphrase = environment["DFNS_PRIVATE_KEY_PASSPHRASE"]
        do {
            if let path = dfnsPrivateKeyFile ?? environment["DFNS_PRIVATE_KEY_FILE"], !path.isEmpty {
                DfnsOptions.checkKeyFilePermissions(path)
                return try KeySigner(credentialId: credentialId, privateKeyFile: path, passphrase: passphrase)
            } else if let pem = environment["DFNS_PRIVATE_KEY"], !pem.isEmpty {
                return try KeySigner(credentialId: credentialId, privateKeyPEM: pem, passphrase: passphrase)
            }
            throw ValidationError("set DFNS_PRIVATE_KEY_FILE (or DFNS_PRIVATE_KEY) to the credential's PEM private key, or DFNS_SIGNER=pkcs11")
        } catch let error as KeySignerError {
            throw ValidationError("private key: \(error.message)")
        }
    }

    /// The PKCS#11 settings from flags, else the environment; each missing or malformed one named.
    private func pkcs11(credentialId: String, _ environment: [String: String]) throws -> PKCS11Configuration {
        func value(_ flag: String?, _ variable: String) -> String? {
            (flag ?? environment[variable]).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let module = value(dfnsPkcs11Module, "DFNS_PKCS11_MODULE") else { throw ValidationError("DFNS_SIGNER=pkcs11 needs DFNS_PKCS11_MODULE") }
        let token: PKCS11Configuration.Token
        if let label = value(dfnsPkcs11Token, "DFNS_PKCS11_TOKEN") {
            token = .label(label)
        } else if let slot = value(dfnsPkcs11Slot.map(String.init), "DFNS_PKCS11_SLOT") {
            guard let id = UInt(slot) else { throw ValidationError("DFNS_PKCS11_SLOT must be a slot number, not \(slot.prefix(40))") }
            token = .slot(id)
        } else {
            throw ValidationError("DFNS_SIGNER=pkcs11 needs DFNS_PKCS11_TOKEN (the token's label) or DFNS_PKCS11_SLOT")
        }
        let key: PKCS11Configuration.Key
        if let label = value(dfnsPkcs11Key, "DFNS_PKCS11_KEY") {
            key = .label(label)
        } else if let hex = value(dfnsPkcs11KeyId, "DFNS_PKCS11_KEY_ID") {
            guard hex.count % 2 == 0, hex.count <= 256, let id = Digest.bytes(hex: hex) else {
                throw ValidationError("DFNS_PKCS11_KEY_ID must be the key's CKA_ID in hexadecimal, e.g. 01 or a1b2")
            }
            key = .id(id)
        } else {
            throw ValidationError("DFNS_SIGNER=pkcs11 needs DFNS_PKCS11_KEY (the private key's label) or DFNS_PKCS11_KEY_ID")
        }
        let pin: String
        if let path = value(dfnsPkcs11PinFile, "DFNS_PKCS11_PIN_FILE") {
            DfnsOptions.checkKeyFilePermissions(path)
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("DFNS_PKCS11_PIN_FILE \(path) cannot be read")
            }
            pin = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .newlines)
        } else if let text = environment["DFNS_PKCS11_PIN"], !text.isEmpty {
            pin = text
        } else {
            throw ValidationError("DFNS_SIGNER=pkcs11 needs DFNS_PKCS11_PIN_FILE (preferred) or DFNS_PKCS11_PIN")
        }
        return PKCS11Configuration(modulePath: module, token: token, key: key, pin: pin, credentialId: credentialId)
    }
}
