// Package terraform is the "terraform:DIR" live source of `rampart
// drift`: it reads a Terraform working directory through terraform-exec,
// finds every resource attribute holding a rampart artifact of the
// target (by the digest marker each target writes), compares each with
// the policy through the target's drift.Live, and runs `terraform plan
// -refresh-only -detailed-exitcode` to compare the artifacts of resources
// changed out of band, as refreshed, too.
package terraform
