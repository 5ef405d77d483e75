"""Example applications that use the generated schemas/ package the way users do."""
