"""The web dashboard (`tolqyn serve`): controls on the left, the world in the middle, plots on
the right. Starlette and uvicorn are imported only when the server starts, never by
`import tolqyn`."""
