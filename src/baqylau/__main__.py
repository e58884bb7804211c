from baqylau.cli import main

main()
