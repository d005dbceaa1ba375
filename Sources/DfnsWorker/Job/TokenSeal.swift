import COpenSSL
import Foundation

/// Seals an end user's login for the row of the job it serves (`jobs.user_token`): AES-256-GCM under the workers'
/// shared key (`DFNS_WORKER_SEAL_KEY`), the job id as associated data, so a sealed token neither reads in PostgreSQL
/// nor opens in another job's row. Layout: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.
///
/// The token must be kept, not fetched again when the user has signed: Dfns issues a challenge to the login that asked
/// for it, and every official SDK completes an action with the token that started it (dfns-auth.md §4).
public struct TokenSeal: Sendable {
    private let key: [UInt8]
    private static let nonceSize = 12
    private static let tagSize = 16

    /// - Parameter key: 32 bytes.
    /// - Throws: ``WorkerError`` `.configuration` for another length.
    public init(key: [UInt8]) throws {
        guard key.count == 32 else {
            throw WorkerError(
                .configuration, "the seal key must be 32 bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), got \(key.count)")
        }
        self.key = key
    }

    /// A key from its base64 text (`DFNS_WORKER_SEAL_KEY`, surrounding white space ignored).
    public init(base64 text: String) throws {
        guard let key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw WorkerError(.configuration, "the seal key is not base64 (e.g. `openssl rand -base64 32`)")
        }
        try self.init(key: Array(key))
    }

    /// `token` sealed for job `jobId`.
    func seal(_ token: String, jobId: Int64) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceSize)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else { throw WorkerError(.sealing, "no random bytes for a seal nonce") }
        let plaintext = Array(token.utf8)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: Self.tagSize)
        try cipher(encrypt: true, nonce: nonce, jobId: jobId, input: plaintext, output: &ciphertext, tag: &tag)
        return nonce + ciphertext + tag
    }

    /// The token sealed for job `jobId`, or nil when `sealed` was not sealed with this key for this job.
    func open(_ sealed: [UInt8], jobId: Int64) -> String? {
        guard sealed.count > Self.nonceSize + Self.tagSize else { return nil }
        let nonce = Array(sealed.prefix(Self.nonceSize))
        var tag = Array(sealed.suffix(Self.tagSize))
        let ciphertext = Array(sealed.dropFirst(Self.nonceSize).dropLast(Self.tagSize))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        guard (try? cipher(encrypt: false, nonce: nonce, jobId: jobId, input: ciphertext, output: &plaintext, tag: &tag)) != nil else { return nil }
        return String(validating: plaintext, as: UTF8.self)
    }

    private func cipher(encrypt: Bool, nonce: [UInt8], jobId: Int64, input: [UInt8], output: inout [UInt8], tag: inout [UInt8]) throws {
        guard let context = EVP_CIPHER_CTX_new() else { throw WorkerError(.sealing, "no cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        let associated = Array("dfns-worker user token of job \(jobId)".utf8)
        let enc: Int32 = encrypt ? 1 : 0
        var length: Int32 = 0
        guard EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil, enc) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            EVP_CipherInit_ex(context, nil, nil, key, nonce, enc) == 1,
            EVP_CipherUpdate(context, nil, &length, associated, Int32(associated.count)) == 1,
            EVP_CipherUpdate(context, &output, &length, input, Int32(input.count)) == 1
        else { throw WorkerError(.sealing, "the seal cipher failed") }
        if !encrypt, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), &tag) != 1 {
            throw WorkerError(.sealing, "the seal cipher failed")
        }
        var end = [UInt8](repeating: 0, count: 16)
        guard EVP_CipherFinal_ex(context, &end, &length) == 1 else { throw WorkerError(.sealing, "the sealed token does not open") }
        if encrypt, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag) != 1 {
            throw WorkerError(.sealing, "the seal cipher failed")
        }
    }
}
