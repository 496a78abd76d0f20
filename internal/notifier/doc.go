// Package notifier turns one event into the request a notification
// service expects: a chat message (Slack, Microsoft Teams, Discord, ...),
// an incident (Opsgenie, PagerDuty, Alertmanager), an annotation (Grafana),
// a commit status (GitHub, GitLab, Gitea, Bitbucket) or Flux's event JSON
// itself (generic, generic-hmac).
//
// A Notifier posts once and reports what happened; retries, rate limits
// and which events reach which Provider belong to the dispatcher
// (internal/notification). Errors never carry the Provider's address,
// token or headers: a Slack webhook URL is a secret.
package notifier
