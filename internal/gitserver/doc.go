// Package gitserver runs a real smart-HTTP Git server for tests and for
// `ferry dev`.
//
// The server is the system `git http-backend` behind net/http/cgi, so clients
// talk to the same implementation they meet in production. It serves every
// repository below a root directory, bare or not: a working checkout is served
// at the URL path of its directory and http-backend finds its `.git`.
// Optional basic or bearer authentication and TLS (with client certificates
// required through WithClientCAs and GenerateClientCert) make it usable for
// auth and transport tests.
//
// SSHServer serves the same repositories over ssh (golang.org/x/crypto/ssh
// running the system `git upload-pack`), authenticating public keys; with
// GenerateSSHKey and KnownHostsLine tests build identities and known_hosts
// files for it.
//
// The Repo helpers create repositories and commits with the system git and a
// fixed author, so tests can drive a remote the way a user would.
package gitserver
