from themegrid.cli import main

main()
