from servicelens.cli.app import main

main()
