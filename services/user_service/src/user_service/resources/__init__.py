"""The service's HTTP resources, one package each."""
