/** The refit job's name, apart so that modules which queue it need not import the predictions service. */
export const refitJobName = 'predictions.refit';
